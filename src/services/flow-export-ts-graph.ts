/**
 * The shape of a compiled graph as exported TypeScript needs it: which ports each node can take,
 * which edges can ever be followed, and where the branches that leave a node meet again (its
 * immediate post-dominator), so the flow can be written as nested `if`/`switch` and `Promise.all`
 * blocks instead of an interpreter loop.
 */
import type { CompiledFlow, CompiledNode, FlowEdge } from '../shared/flow';

/** The virtual node every root hangs off when a graph has several (they run in parallel). */
export const ROOT = '\u0000root';
/** The virtual node after every sink: "the graph has ended". */
export const EXIT = '\u0000exit';

/** A graph prepared for code generation. */
export interface ExportGraph {
  graph: CompiledFlow;
  nodes: Map<string, CompiledNode>;
  /** Edges that can be followed (their port is one the source can take), by source, in edge order. */
  outgoing: Map<string, FlowEdge[]>;
  /** The same edges by target. */
  incoming: Map<string, FlowEdge[]>;
  /** Nodes reachable from the roots over those edges; the others never run. */
  reachable: Set<string>;
  /** Nodes without any incoming edge. */
  roots: string[];
  /** The node where every path leaving a node meets again ({@link EXIT} when they never do). */
  ipdom: Map<string, string>;
}

/**
 * The ports a node can complete on: its type's (a condition's `true`/`false`, an approval's
 * decisions plus the timeout outcome when it has a timeout, a wait-event's `timeout` only with
 * `timeout_ms`), plus `error` when `on_error` is `route`.
 */
export function possiblePorts(node: CompiledNode): string[] {
  let ports: string[];
  switch (node.type) {
    case 'condition':
      ports = ['true', 'false'];
      break;
    case 'switch':
      ports = [...((node.data.cases ?? []) as { name: string }[]).map((c) => c.name), 'default'];
      break;
    case 'approval': {
      ports = ['approved', 'rejected'];
      if (node.data.timeout_ms !== undefined) ports.push(String(node.data.default_outcome ?? 'timeout'));
      break;
    }
    case 'wait-event':
      ports = node.data.timeout_ms !== undefined ? ['default', 'timeout'] : ['default'];
      break;
    case 'terminate':
      ports = [];
      break;
    default:
      ports = ['default'];
  }
  if (node.on_error === 'route') ports.push('error');
  return [...new Set(ports)];
}

/** Prepares `graph`: possible edges, reachability and post-dominators. */
export function analyseGraph(graph: CompiledFlow): ExportGraph {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const outgoing = new Map<string, FlowEdge[]>(graph.nodes.map((n) => [n.id, []]));
  const incoming = new Map<string, FlowEdge[]>(graph.nodes.map((n) => [n.id, []]));
  const hasIncoming = new Set(graph.edges.map((e) => e.target));
  const roots = graph.nodes.filter((n) => !hasIncoming.has(n.id)).map((n) => n.id);
  for (const e of graph.edges) {
    const source = nodes.get(e.source);
    if (!source || !nodes.has(e.target)) continue;
    if (!possiblePorts(source).includes(e.source_handle ?? 'default')) continue;
    outgoing.get(e.source)?.push(e);
    incoming.get(e.target)?.push(e);
  }
  const reachable = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const id = stack.pop() as string;
    if (reachable.has(id)) continue;
    reachable.add(id);
    for (const e of outgoing.get(id) ?? []) stack.push(e.target);
  }
  // Only reachable nodes take part; an edge from a node that never runs is never taken.
  for (const [id, edges] of incoming) incoming.set(id, edges.filter((e) => reachable.has(e.source)));
  const eg: ExportGraph = { graph, nodes, outgoing, incoming, reachable, roots, ipdom: new Map() };
  eg.ipdom = postDominators(eg);
  return eg;
}

/** Successors of `id` in the analysis graph (the virtual root's are the roots). */
export function successors(g: ExportGraph, id: string): string[] {
  if (id === ROOT) return g.roots;
  return [...new Set((g.outgoing.get(id) ?? []).map((e) => e.target))];
}

/** Immediate post-dominators of every reachable node and of {@link ROOT}, over the possible edges. */
function postDominators(g: ExportGraph): Map<string, string> {
  const order = reverseTopological(g);
  const pdom = new Map<string, Set<string>>([[EXIT, new Set([EXIT])]]);
  for (const id of order) {
    const next = successors(g, id);
    let common: Set<string> | undefined;
    for (const s of next.length ? next : [EXIT]) {
      const set = pdom.get(s) as Set<string>;
      common = common ? new Set([...common].filter((x) => set.has(x))) : new Set(set);
    }
    (common as Set<string>).add(id);
    pdom.set(id, common as Set<string>);
  }
  const ipdom = new Map<string, string>();
  for (const id of order) {
    // The closest strict post-dominator is the one post-dominated by all the others: the largest set.
    let best = EXIT;
    let size = 1;
    for (const c of pdom.get(id) as Set<string>) {
      if (c === id) continue;
      const n = (pdom.get(c) as Set<string>).size;
      if (n > size) {
        best = c;
        size = n;
      }
    }
    ipdom.set(id, best);
  }
  return ipdom;
}

/** Reachable nodes and {@link ROOT}, every node after all of its successors. */
function reverseTopological(g: ExportGraph): string[] {
  const out: string[] = [];
  const done = new Set<string>();
  const visit = (id: string) => {
    // Depth-first with an explicit stack: a long chain must not overflow the call stack.
    const stack: [string, number][] = [[id, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const next = successors(g, top[0]);
      if (top[1] < next.length) {
        const s = next[top[1]++];
        if (!done.has(s)) stack.push([s, 0]);
        continue;
      }
      stack.pop();
      if (!done.has(top[0])) {
        done.add(top[0]);
        out.push(top[0]);
      }
    }
  };
  visit(ROOT);
  return out;
}

/** The nodes with a possible edge into `id`, in edge order, each once. */
export function parentsOf(g: ExportGraph, id: string): string[] {
  return [...new Set((g.incoming.get(id) ?? []).map((e) => e.source))];
}

/**
 * Whether, once `from` has completed, some edge into `join` is always taken (or the run ends, as
 * after a `terminate`): then the generated code needs no "was it reached?" test before `join`.
 * False when unsure; the test is always correct, only less tidy.
 */
export function alwaysReaches(g: ExportGraph, from: string, join: string): boolean {
  if (from === join) return true;
  const node = g.nodes.get(from);
  if (node?.type === 'terminate') return true;
  const meet = g.ipdom.get(from) ?? EXIT;
  const ports = from === ROOT ? ['default'] : possiblePorts(node as CompiledNode);
  for (const port of ports) {
    const targets = from === ROOT ? g.roots : (g.outgoing.get(from) ?? []).filter((e) => (e.source_handle ?? 'default') === port).map((e) => e.target);
    const ok = targets.some((t) => t === meet || ((g.incoming.get(t) ?? []).length === 1 && alwaysReaches(g, t, meet)));
    if (!ok) return false;
  }
  if (meet === join) return true;
  if (meet === EXIT) return false;
  return alwaysReaches(g, meet, join);
}
