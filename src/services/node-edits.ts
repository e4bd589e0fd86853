import { normalizeType } from '../nodes/registry';
import type { FlowEdge, FlowGraph, FlowNode } from '../shared/flow';

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A graph after an edit, and how to translate a validation path back into the request's terms. */
export interface EditedGraph {
  graph: { nodes: unknown[]; edges: unknown[] };
  /** `nodes[3].data.url` of the flow → `data.url` of the request body, or `workflow.…` for the rest of the flow. */
  pathOf(flowPath: string): string;
}

/** Node settings that `null` removes in a node patch. */
const REMOVABLE = ['label', 'position', 'retry', 'timeout_ms', 'on_error'] as const;

/** Every node id of a graph, loop bodies included. */
export function nodeIds(nodes: unknown[]): Set<string> {
  const ids = new Set<string>();
  const walk = (list: unknown[]) => {
    for (const n of list) {
      if (!isObject(n)) continue;
      if (typeof n.id === 'string') ids.add(n.id);
      const body = isObject(n.data) ? n.data.body : undefined;
      if (isObject(body) && Array.isArray(body.nodes)) walk(body.nodes);
    }
  };
  walk(nodes);
  return ids;
}

/** A free id for a new node of `type`: `http-request-1`, `http-request-2`… */
export function freeNodeId(type: string, taken: Set<string>): string {
  const base =
    normalizeType(type)
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || 'node';
  for (let n = 1; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** JSON Merge Patch (RFC 7386): objects merge recursively, `null` removes a key, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Obj = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

const INDEXED = /^(nodes|edges)\[(\d+)\](.*)$/;

/** Maps a flow path to a body path for the node at `nodeIndex` and the edges from `firstNewEdge` on. */
function pathMapper(nodeIndex: number, firstNewEdge: number): (flowPath: string) => string {
  return (flowPath) => {
    const m = INDEXED.exec(flowPath);
    if (m && m[1] === 'nodes' && Number(m[2]) === nodeIndex) return m[3].replace(/^\./, '') || '(root)';
    if (m && m[1] === 'edges' && Number(m[2]) >= firstNewEdge)
      return `edges[${Number(m[2]) - firstNewEdge}]${m[3]}`;
    return `workflow.${flowPath || '(root)'}`;
  };
}

/**
 * Adds `node` and `edges` to a graph. An edge without a source (`source`/`from`) starts at the new
 * node and one without a target (`target`/`to`) ends at it, so a caller that lets the platform
 * pick the id can still connect it.
 */
export function addNode(current: FlowGraph, node: Obj & { id: string }, edges: unknown[]): EditedGraph {
  const connected = edges.map((e) => {
    if (!isObject(e)) return e;
    const edge = { ...e };
    if (edge.source === undefined && edge.from === undefined) edge.source = node.id;
    if (edge.target === undefined && edge.to === undefined) edge.target = node.id;
    return edge;
  });
  return {
    graph: { nodes: [...current.nodes, node], edges: [...current.edges, ...connected] },
    pathOf: pathMapper(current.nodes.length, current.edges.length),
  };
}

/** What a node patch may change; `data` is merged (RFC 7386), a `null` setting removes it. */
export interface NodePatch {
  type?: string;
  data?: Obj;
  label?: unknown;
  position?: unknown;
  retry?: unknown;
  timeout_ms?: unknown;
  on_error?: unknown;
}

/** Applies `patch` to the node at `index`; edges are unchanged. */
export function patchNode(current: FlowGraph, index: number, patch: NodePatch): EditedGraph {
  const node: Obj = { ...(current.nodes[index] as unknown as Obj) };
  if (patch.type !== undefined) node.type = patch.type;
  if (patch.data !== undefined) node.data = mergePatch(node.data ?? {}, patch.data);
  for (const key of REMOVABLE) {
    if (patch[key] === null) delete node[key];
    else if (patch[key] !== undefined) node[key] = patch[key];
  }
  const nodes: unknown[] = [...current.nodes];
  nodes[index] = node;
  return { graph: { nodes, edges: current.edges }, pathOf: pathMapper(index, current.edges.length) };
}

/** Removes the node at `index` and every edge from or to it. */
export function removeNode(current: FlowGraph, index: number): EditedGraph {
  const id = current.nodes[index].id;
  return {
    graph: {
      nodes: current.nodes.filter((_, i) => i !== index),
      edges: current.edges.filter((e: FlowEdge) => e.source !== id && e.target !== id),
    },
    pathOf: (p) => `workflow.${p || '(root)'}`,
  };
}

/** Index of the top-level node `id`, or -1. */
export function indexOfNode(nodes: FlowNode[], id: string): number {
  return nodes.findIndex((n) => n.id === id);
}
