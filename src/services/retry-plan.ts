import type { CarriedState, CompiledFlow, CompiledNode, FlowEdge, StepState } from '../shared/flow';
import { canonicalJson } from '../storage';

/** What a retried run starts from. */
export interface RetryPlan {
  /** The state the new run is seeded with: these nodes are not run again. */
  carried: CarriedState;
  /** Nodes the new run executes (or re-evaluates), in definition order. */
  rerun: string[];
}

/**
 * A node's identity for "is this still the same step?": what it executes (type, data, retry,
 * timeout, error handling) and where its input comes from (incoming edges). Labels and positions
 * do not count.
 */
export function nodeFingerprint(node: CompiledNode, graph: CompiledFlow): string {
  const incoming = graph.edges
    .filter((e) => e.target === node.id)
    .map((e) => `${e.source}:${e.source_handle ?? 'default'}`)
    .sort();
  return canonicalJson({
    type: node.type,
    data: node.data,
    exec: node.exec,
    on_error: node.on_error ?? 'fail',
    incoming,
  });
}

/**
 * Plans a retry of an earlier run on `graph`. A node is run again when it is `fromNode`, when the
 * earlier run did not complete (or skip) it, when `reusable` says its definition changed, or when
 * anything upstream of it is run again; every other node keeps its earlier step (output, attempt,
 * timestamps) and is not executed. Independent branches that completed are therefore kept too,
 * not only the ancestors of `fromNode`. `vars` are rebuilt from the kept `set` steps.
 *
 * With `reusedFrom` (the earlier run's execution id), every kept step is marked `reused_from`: the
 * run that executed it, so a step an earlier retry had already kept keeps naming the run that
 * really ran it (where its logs are). Steps seeded as skipped here are this run's own decision.
 */
export function planRetry(
  graph: CompiledFlow,
  earlier: readonly StepState[],
  fromNode?: string,
  reusable: (nodeId: string) => boolean = () => true,
  reusedFrom?: string,
): RetryPlan {
  const byId = new Map(earlier.map((s) => [s.node_id, s]));
  const children = new Map<string, string[]>();
  for (const e of graph.edges) children.set(e.source, [...(children.get(e.source) ?? []), e.target]);

  const rerun = new Set<string>();
  const queue: string[] = [];
  const mark = (id: string) => {
    if (!rerun.has(id)) {
      rerun.add(id);
      queue.push(id);
    }
  };
  for (const n of graph.nodes) {
    const s = byId.get(n.id);
    const settled = s && (s.status === 'completed' || s.status === 'skipped') && s.node_type === n.type;
    if (n.id === fromNode || !settled || !reusable(n.id)) mark(n.id);
  }
  while (queue.length) for (const c of children.get(queue.pop() as string) ?? []) mark(c);

  const steps: Record<string, StepState> = {};
  const vars: Record<string, unknown> = {};
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  for (const id of topologicalOrder(graph)) {
    if (rerun.has(id)) {
      // The interpreter starts every seeded-ready node without checking that an edge into it was
      // taken, so a node reached only through untaken edges of kept nodes is seeded as skipped.
      const incoming = graph.edges.filter((e) => e.target === id);
      const decided = incoming.length > 0 && incoming.every((e) => steps[e.source]);
      if (decided && !incoming.some((e) => taken(e, steps[e.source], nodes.get(e.source) as CompiledNode))) {
        const n = nodes.get(id) as CompiledNode;
        steps[id] = {
          node_id: id,
          node_type: n.type,
          ...(n.label ? { label: n.label } : {}),
          status: 'skipped',
          attempt: 0,
        };
        rerun.delete(id);
      }
      continue;
    }
    const s = byId.get(id) as StepState;
    steps[id] = reusedFrom ? { ...s, reused_from: s.reused_from ?? reusedFrom } : s;
    const result = (s.output as { result?: unknown } | undefined)?.result;
    if (s.node_type === 'set' && s.status === 'completed' && result && typeof result === 'object') {
      Object.assign(vars, result);
    }
  }
  return {
    carried: { steps, vars, edge_state: {} },
    rerun: graph.nodes.filter((n) => rerun.has(n.id)).map((n) => n.id),
  };
}

/** Whether the interpreter follows `edge` from a settled step (mirrors workflows/graph-runner `edgeTaken`). */
function taken(edge: FlowEdge, step: StepState, source: CompiledNode): boolean {
  if (step.status !== 'completed') return false;
  const port = step.port ?? 'default';
  const handle = edge.source_handle;
  if (handle === undefined || handle === null || handle === '') {
    if (port === 'error') return false;
    return port === 'default' || !source.exec.ports.includes('default');
  }
  return handle === port;
}

/** Node ids with every node after its parents (definition order among equals; cycles cannot compile). */
function topologicalOrder(graph: CompiledFlow): string[] {
  const indegree = new Map(graph.nodes.map((n) => [n.id, 0]));
  for (const e of graph.edges) indegree.set(e.target, (indegree.get(e.target) ?? 0) + 1);
  const ready = graph.nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  const order: string[] = [];
  while (ready.length) {
    const id = ready.shift() as string;
    order.push(id);
    for (const e of graph.edges) {
      if (e.source !== id) continue;
      const left = (indegree.get(e.target) ?? 0) - 1;
      indegree.set(e.target, left);
      if (left === 0) ready.push(e.target);
    }
  }
  return order;
}
