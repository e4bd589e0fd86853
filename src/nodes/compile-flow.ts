import { type CompiledFlow, type CompiledNode, type FlowEdge, type FlowGraph, type FlowNode } from '../shared/flow';
import { DEFAULT_RETRY, DEFAULT_TIMEOUT_MS } from './defaults';
import { placeEvaluation } from './eval-placement';
import { normalizeFlow } from './normalize-flow';
import { getNodeDefinition, nodePorts } from './registry';
import type { NodeDefinition } from './node-definition';
import { FlowValidationError, validateFlow } from './validate-flow';

function compileNode(node: FlowNode, nodeIds: ReadonlySet<string>): CompiledNode {
  const def = getNodeDefinition(node.type)!;
  const parsed = def.dataSchema.parse(node.data ?? {}) as Record<string, unknown>;
  // Control nodes get their parsed data (zod defaults filled in) so the interpreter needs no
  // registry; activity data stays as written because it is validated again after rendering.
  const data = def.kind === 'control' ? { ...parsed } : node.data;
  if (def.type === 'loop' && data.body) {
    const body = compileGraph(data.body as FlowGraph, nodeIds);
    if (typeof data.item_variable === 'string' && data.item_variable !== 'item') body.item_variable = data.item_variable;
    data.body = body;
  }
  const raw = [...(def.expressionFields ?? []), ...(def.rawFields ?? [])];
  // Activity nodes receive their expression and raw fields as written; control nodes evaluate theirs.
  const placement = placeEvaluation(data ?? {}, {
    expressionFields: def.kind === 'control' ? (def.expressionFields ?? []) : [],
    skipFields: [...(def.kind === 'activity' ? raw : (def.rawFields ?? [])), ...(def.type === 'loop' ? ['body'] : [])],
  }, nodeIds);

  const compiled: CompiledNode = {
    id: node.id,
    type: def.type,
    data,
    exec: {
      kind: def.kind,
      ports: nodePorts(def, parsed),
      timeout_ms: node.timeout_ms ?? def.defaults?.timeout_ms ?? DEFAULT_TIMEOUT_MS,
      retry: { ...DEFAULT_RETRY, ...def.defaults?.retry, ...node.retry },
    },
  };
  if (node.label !== undefined) compiled.label = node.label;
  if (node.retry !== undefined) compiled.retry = node.retry;
  if (node.timeout_ms !== undefined) compiled.timeout_ms = node.timeout_ms;
  if (node.on_error !== undefined) compiled.on_error = node.on_error;
  if (def.defaults?.heartbeat_ms !== undefined) compiled.exec.heartbeat_ms = def.defaults.heartbeat_ms;
  if (def.needsContext) compiled.exec.needs_context = true;
  if (def.kind === 'activity' && raw.length) compiled.exec.raw_fields = raw;
  if (def.kind === 'activity' && runsLocal(node, def, parsed, compiled.exec.timeout_ms)) compiled.exec.local = true;
  if (node.execution !== undefined) compiled.execution = node.execution;
  compiled.exec.eval = placement.mode;
  if (placement.reads) compiled.exec.reads = placement.reads;
  return compiled;
}

/** Local activities hold the workflow task while they run: `auto` keeps them to short work. */
export const MAX_AUTO_LOCAL_TIMEOUT_MS = 90_000;

/** Whether an activity node runs as a local activity: `local` says so, `auto` asks its type. */
function runsLocal(node: FlowNode, def: NodeDefinition, data: unknown, timeoutMs: number): boolean {
  const mode = node.execution ?? 'auto';
  if (mode !== 'auto') return mode === 'local';
  return timeoutMs <= MAX_AUTO_LOCAL_TIMEOUT_MS && Boolean(def.localWhen?.(data));
}

function compileEdge(edge: FlowEdge): FlowEdge {
  const compiled: FlowEdge = { source: edge.source, target: edge.target, source_handle: edge.source_handle ?? 'default' };
  if (edge.id !== undefined) compiled.id = edge.id;
  return compiled;
}

function compileGraph(graph: FlowGraph, outerIds: ReadonlySet<string> = new Set()): CompiledFlow {
  const ids = new Set([...outerIds, ...graph.nodes.map((n) => n.id)]);
  return { nodes: graph.nodes.map((n) => compileNode(n, ids)), edges: (graph.edges ?? []).map(compileEdge) };
}

/**
 * Resolves a flow into the self-contained definition a run executes: canonical types, every
 * node's `exec` (kind, ports including switch cases, timeout and retry from the node over its
 * type's defaults over the global ones, heartbeat, context needs), explicit `source_handle` on
 * every edge, and loop bodies compiled in place (`data.body`). Editor-only fields (`position`,
 * unknown keys) are dropped so they stay out of workflow history.
 *
 * Accepts any spelling {@link normalizeFlow} does.
 * @throws FlowValidationError when the flow has validation errors.
 */
export function compileFlow(graph: unknown): CompiledFlow {
  const normalized = normalizeFlow(graph);
  const result = validateFlow(normalized);
  if (!result.valid) throw new FlowValidationError(result.errors, result.warnings);
  return { ...compileGraph(normalized), semantics: 2 };
}
