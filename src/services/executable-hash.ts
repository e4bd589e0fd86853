import { hashDefinition } from '../storage';
import type { FlowEdge, FlowGraph, FlowNode } from '../shared/flow';

/** Node fields a run executes; everything else (label, position, editor fields) is presentation. */
const EXECUTABLE_NODE_FIELDS = ['id', 'type', 'data', 'retry', 'timeout_ms', 'on_error'] as const;

function executableNode(node: FlowNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of EXECUTABLE_NODE_FIELDS) if (node[key] !== undefined) out[key] = node[key];
  const body = node.type === 'loop' ? (node.data?.body as Partial<FlowGraph> | undefined) : undefined;
  if (body && Array.isArray(body.nodes)) {
    out.data = { ...node.data, body: executableGraph({ nodes: body.nodes, edges: Array.isArray(body.edges) ? body.edges : [] }) };
  }
  return out;
}

function executableGraph(graph: FlowGraph) {
  return {
    nodes: graph.nodes.map(executableNode),
    edges: graph.edges.map((e: FlowEdge) => ({ source: e.source, target: e.target, source_handle: e.source_handle })),
  };
}

/**
 * The hash of what a run executes: node ids, types, data, retry, timeout and on_error, and the
 * edges' endpoints and ports (loop bodies alike). Labels, positions, edge ids and editor fields
 * are left out, so renaming or moving a node does not make a new version.
 */
export function executableHash(graph: FlowGraph): string {
  return hashDefinition(executableGraph(graph));
}
