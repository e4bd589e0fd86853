import { findCycles } from './graph-cycles';
import { RESERVED_CONTEXT_NAMES } from './node-id-rules';
import type { CheckedNode } from './validate-node';
import { type Report, keyPath } from './validation-issue';
import { type Context, isObject, type Obj, pathIn, type Scope, suggest, visible, visibleIds } from './validation-scope';

/* The checks of one scope's graph, once every scope's nodes are known: edges, ports, entry nodes, cycles, reachability. */

const EDGE_FIELDS = new Set(['id', 'source', 'target', 'source_handle']);
/** Edge fields that editors add and the platform ignores (no warning). */
const EDITOR_EDGE_FIELDS = new Set(['label', 'type', 'animated', 'style', 'data', 'targetHandle', 'target_handle', 'markerEnd', 'selected']);

/** Longest cycle spelled out in full in a message. */
const MAX_CYCLE_IDS = 50;

/** References, edges, ports, entry nodes, cycles and reachability of one scope. */
export function checkScopeGraph(scope: Scope, ctx: Context): void {
  const { error, warn } = ctx;
  const at = (rest: string) => pathIn(scope, rest);
  const count = scope.nodes.length;
  const idOf = (i: number) => (scope.nodes[i] as Obj).id as string;

  for (const checked of scope.checked) {
    for (const { path, roots } of checked?.references ?? []) {
      for (const root of new Set(roots)) {
        if (RESERVED_CONTEXT_NAMES.has(root) || visible(scope, root)) continue;
        const where = ctx.allIds.get(root);
        warn(
          path,
          'UNKNOWN_REFERENCE',
          where
            ? `"${root}" is a node inside a loop body (${where}); its output is not visible here`
            : `"${root}" is not a node of this flow nor one of ${[...RESERVED_CONTEXT_NAMES].join(', ')}` +
                suggest(ctx, root, () => [...visibleIds(scope), ...RESERVED_CONTEXT_NAMES]),
        );
      }
    }
  }

  const edgeTarget = new Int32Array(scope.edges.length).fill(-1);
  const out: number[][] = Array.from({ length: count }, () => []);
  const indegree = new Int32Array(count);
  /** Ports with an edge, for the node types that warn about unconnected ones. */
  const handlesUsed: (Set<string> | undefined)[] = new Array(count);
  // Duplicate detection: default-port edges by a numeric key, the (few) others by a string key.
  const seenDefaultEdges = new Map<number, number>();
  const seenOtherEdges = new Map<string, number>();
  const seenEdgeIds = new Map<string, number>();

  const edgePath = (j: number) => at(`edges[${j}]`);
  const locate = (edge: number, field: 'source' | 'target', value: unknown): number => {
    if (typeof value === 'string') {
      const index = scope.ids.get(value);
      if (index !== undefined) return index;
    }
    if (typeof value !== 'string' || value === '') {
      error(`${edgePath(edge)}.${field}`, 'INVALID_EDGE', `Edge ${field} is required`);
      return -1;
    }
    const elsewhere = ctx.allIds.get(value);
    error(
      `${edgePath(edge)}.${field}`,
      field === 'source' ? 'UNKNOWN_EDGE_SOURCE' : 'UNKNOWN_EDGE_TARGET',
      elsewhere
        ? `Node "${value}" is declared at ${elsewhere}; edges cannot cross a loop body boundary`
        : `No node "${value}"${suggest(ctx, value, () => scope.ids.keys())}`,
    );
    return -1;
  };

  scope.edges.forEach((edge, j) => {
    if (!isObject(edge)) {
      error(edgePath(j), 'INVALID_EDGE', 'An edge must be an object');
      return;
    }
    for (const key of Object.keys(edge)) {
      if (EDGE_FIELDS.has(key) || EDITOR_EDGE_FIELDS.has(key)) continue;
      warn(keyPath(edgePath(j), key), 'UNKNOWN_FIELD', `Unknown edge field "${key}" is ignored`);
    }
    if (edge.id !== undefined) {
      if (typeof edge.id !== 'string' || edge.id === '') {
        error(`${edgePath(j)}.id`, 'INVALID_EDGE', 'Edge id must be a non-empty string');
      } else if (seenEdgeIds.has(edge.id)) {
        error(`${edgePath(j)}.id`, 'DUPLICATE_EDGE_ID', `Edge id "${edge.id}" is already used by ${edgePath(seenEdgeIds.get(edge.id)!)}`);
      } else {
        seenEdgeIds.set(edge.id, j);
      }
    }

    const s = locate(j, 'source', edge.source);
    const t = locate(j, 'target', edge.target);
    let handle = 'default';
    if (edge.source_handle !== undefined) {
      if (typeof edge.source_handle === 'string' && edge.source_handle !== '') handle = edge.source_handle;
      else {
        error(`${edgePath(j)}.source_handle`, 'INVALID_SOURCE_HANDLE', 'source_handle must be a non-empty string');
        handle = '';
      }
    }
    if (t >= 0 && scope.checked[t]?.def?.type === 'start') {
      error(`${edgePath(j)}.target`, 'INVALID_EDGE_TARGET', `Start node "${idOf(t)}" has no inputs`);
    }
    if (s >= 0 && handle !== '') {
      const source = scope.checked[s];
      checkHandle(source, idOf(s), handle, edge.source_handle === undefined, j, edgePath, error);
      const sourceType = source?.def?.type;
      if (sourceType === 'switch' || sourceType === 'approval') (handlesUsed[s] ??= new Set()).add(handle);
    }

    if (s < 0 || t < 0) return;
    const first = handle === 'default' ? seenDefaultEdges.get(s * count + t) : seenOtherEdges.get(`${s}\u0000${handle}\u0000${t}`);
    if (first !== undefined) {
      error(edgePath(j), 'DUPLICATE_EDGE', `Same edge as ${edgePath(first)}`);
      return;
    }
    if (handle === 'default') seenDefaultEdges.set(s * count + t, j);
    else seenOtherEdges.set(`${s}\u0000${handle}\u0000${t}`, j);
    edgeTarget[j] = t;
    out[s].push(j);
    indegree[t]++;
  });

  const declared = [...scope.ids.values()];
  if (declared.length > 0 && !declared.some((i) => indegree[i] === 0)) {
    error(at('nodes'), 'NO_ENTRY_NODE', 'Every node has an incoming edge: the flow has nowhere to start');
  }

  scope.out = out;
  scope.edgeTarget = edgeTarget;
  scope.cyclic = false;
  const inCycle = new Uint8Array(count);
  for (const cycle of findCycles(count, out, edgeTarget)) {
    scope.cyclic = true;
    for (const i of cycle.nodes) inCycle[i] = 1;
    const ids = cycle.nodes.map(idOf);
    const shown = ids.length > MAX_CYCLE_IDS ? [...ids.slice(0, MAX_CYCLE_IDS), `… (${ids.length - MAX_CYCLE_IDS} more)`] : ids;
    error(
      cycle.closingEdge >= 0 ? at(`edges[${cycle.closingEdge}]`) : at(`nodes[${cycle.nodes[0]}]`),
      'CYCLE',
      `Cycle ${[...shown, ids[0]].join(' → ')}: flows are acyclic; repeat work with a loop node`,
    );
  }

  const starts = declared.filter((i) => scope.checked[i]?.def?.type === 'start');
  if (starts.length > 0) {
    const reached = new Uint8Array(count);
    const queue = [...starts];
    for (const i of queue) reached[i] = 1;
    for (let head = 0; head < queue.length; head++) {
      for (const e of out[queue[head]]) {
        const w = edgeTarget[e];
        if (reached[w]) continue;
        reached[w] = 1;
        queue.push(w);
      }
    }
    for (const i of declared) {
      if (reached[i] || inCycle[i]) continue;
      warn(
        at(`nodes[${i}]`),
        'UNREACHABLE_NODE',
        indegree[i] === 0
          ? `Node "${idOf(i)}" is not connected to a start node; it runs as soon as the run starts`
          : `Node "${idOf(i)}" cannot be reached from a start node`,
      );
    }
  }

  for (const i of declared) {
    const checked = scope.checked[i]!;
    const type = checked.def?.type;
    if ((type !== 'switch' && type !== 'approval') || !checked.ports) continue;
    const expected = new Set(checked.ports);
    if (type === 'approval' && (checked.data?.timeout_ms === undefined || checked.data.default_outcome !== undefined)) {
      expected.delete('timeout');
    }
    for (const port of expected) {
      if (handlesUsed[i]?.has(port)) continue;
      warn(at(`nodes[${i}]`), 'UNCONNECTED_PORT', `Port "${port}" of ${type} node "${idOf(i)}" has no edge: taking it ends that branch`);
    }
  }
}

/** Whether `handle` is an output port of the source node (`error` only with on_error `route`). */
function checkHandle(
  source: CheckedNode | undefined,
  sourceId: string,
  handle: string,
  implicit: boolean,
  edge: number,
  edgePath: (edge: number) => string,
  error: Report,
): void {
  const ports = source?.ports;
  if (!source || !ports || ports.has(handle) || (handle === 'error' && source.routesErrors)) return;
  const path = edgePath(edge);
  const typeName = source.def?.type ?? source.type;
  if (ports.size === 0 && !source.routesErrors) {
    error(`${path}.source`, 'INVALID_EDGE_SOURCE', `A ${typeName} node ("${sourceId}") has no outputs`);
  } else if (handle === 'error') {
    error(`${path}.source_handle`, 'INVALID_SOURCE_HANDLE', `Port "error" needs on_error: "route" on node "${sourceId}"`);
  } else {
    const list = [...ports, ...(source.routesErrors ? ['error'] : [])].join(', ');
    error(
      `${path}.source_handle`,
      'INVALID_SOURCE_HANDLE',
      implicit
        ? `Edges from ${typeName} node "${sourceId}" need a source_handle: one of ${list}`
        : `"${handle}" is not an output port of ${typeName} node "${sourceId}" (ports: ${list})`,
    );
  }
}
