import { didYouMean } from '../shared/did-you-mean';
import { findCycles } from './graph-cycles';
import { checkReferences, type ReferenceScope } from './reference-checks';
import { checkNodeForSave, type SaveCheckOptions } from './save-checks';
import { type CheckedNode, checkNode } from './validate-node';
import { type Report, type ValidationIssue, type ValidationResult, keyPath } from './validation-issue';

export type { SaveCheckOptions } from './save-checks';

export { FlowValidationError, type ValidationIssue, type ValidationResult } from './validation-issue';

/** What validation may check beyond the graph itself. */
export interface ValidateFlowOptions {
  /** Ids of the flows the owner may run: a sub-flow node naming another (literal) id is an error. */
  knownFlowIds?: Iterable<string>;
  /**
   * Run the checks of a flow being saved (given what the deployment offers): code that does not
   * parse and invalid input schemas are errors; references to output fields a node never has or to
   * nodes that are not upstream, URLs the address guard will refuse and integrations that are not
   * configured are warnings. Compiling a run leaves them out, so stored flows start as before.
   */
  save?: SaveCheckOptions;
}

/** Node ids: letters, digits, `_` and `-`, 1 to 64 characters. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Ids a node may not have although they fit {@link NODE_ID_PATTERN}: node outputs are kept in plain
 * objects keyed by id, where `__proto__` would replace the prototype instead of holding the
 * output, and `constructor` / `prototype` read as inherited values before the node has run.
 */
export const RESERVED_NODE_IDS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Roots of the run context that are not node ids. */
export const RESERVED_CONTEXT_NAMES: ReadonlySet<string> = new Set(['trigger', 'input', 'prev', 'execution', 'vars', 'item', 'index']);

const EDGE_FIELDS = new Set(['id', 'source', 'target', 'source_handle']);
/** Edge fields that editors add and the platform ignores (no warning). */
const EDITOR_EDGE_FIELDS = new Set(['label', 'type', 'animated', 'style', 'data', 'targetHandle', 'target_handle', 'markerEnd', 'selected']);

/** Longest cycle spelled out in full in a message. */
const MAX_CYCLE_IDS = 50;
/** "Did you mean" searches per validation: each compares a name with every node id of a scope. */
const MAX_SUGGESTIONS = 100;

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The flow itself or one loop body: its nodes see their own ids and those of enclosing scopes. */
interface Scope extends ReferenceScope {
  /** Path of the scope: `''` for the flow, `nodes[3].data.body` for a loop body. */
  base: string;
  /** A loop body's `item_variable`: a name its nodes may read, like `item`. */
  itemVariable?: string;
  parent: Scope | null;
  edges: unknown[];
}

interface Context {
  error: Report;
  warn: Report;
  knownFlowIds?: ReadonlySet<string>;
  save?: SaveCheckOptions;
  /** Every node id of the flow, loop bodies included, with where it was declared. */
  allIds: Map<string, string>;
  /** "Did you mean" searches left. */
  suggestions: number;
}

/** ` (did you mean "x"?)` for `name` among `candidates`, while the validation's budget of searches lasts. */
function suggest(ctx: Context, name: string, candidates: () => Iterable<string>): string {
  if (ctx.suggestions <= 0) return '';
  ctx.suggestions--;
  return didYouMean(name, candidates());
}

/** The ids a node of `scope` can name: its own scope's and those of enclosing scopes. */
function* visibleIds(scope: Scope): Iterable<string> {
  for (let s: Scope | null = scope; s; s = s.parent) yield* s.ids.keys();
}

function pathIn(scope: Scope, rest: string): string {
  return scope.base ? `${scope.base}.${rest}` : rest;
}

function visible(scope: Scope, id: string): boolean {
  for (let s: Scope | null = scope; s; s = s.parent) if (s.ids.has(id) || s.itemVariable === id) return true;
  return false;
}

/**
 * Checks a (normalised) flow and reports every problem at once, each with the path of the
 * offending value: ids, types, each node's `data` against its type's schema, node settings, edges
 * and ports, cycles, entry nodes, template and expression syntax; loop bodies are checked the same
 * way with paths under `nodes[i].data.body`. Warnings (unreachable nodes, references to unknown
 * nodes, unconnected switch/approval ports, unknown fields, empty flow) do not make it invalid.
 *
 * Linear in the size of the flow: maps and adjacency lists, iterative graph walks.
 */
export function validateFlow(graph: unknown, options: ValidateFlowOptions = {}): ValidationResult {
  const errors: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  const ctx: Context = {
    error: (path, code, message) => errors.push({ path, code, message }),
    warn: (path, code, message) => warnings.push({ path, code, message }),
    knownFlowIds: options.knownFlowIds ? new Set(options.knownFlowIds) : undefined,
    save: options.save,
    allIds: new Map(),
    suggestions: MAX_SUGGESTIONS,
  };

  if (!isObject(graph)) {
    ctx.error('', 'INVALID_FLOW', 'A flow must be an object with nodes and edges');
    return { valid: false, errors, warnings };
  }
  const root = openScope(graph, '', null, -1, ctx);
  if (root) {
    // Every scope's nodes first, so edges and references can tell "no such node" from "a node in
    // another scope".
    const scopes = [root];
    for (let i = 0; i < scopes.length; i++) scopes.push(...checkScopeNodes(scopes[i], ctx));
    for (const scope of scopes) checkScopeGraph(scope, ctx);
    if (ctx.save) checkReferences(scopes, RESERVED_CONTEXT_NAMES, ctx.warn);
  }
  return { valid: errors.length === 0, errors, warnings };
}

function openScope(graph: Obj, base: string, parent: Scope | null, owner: number, ctx: Context): Scope | undefined {
  const isBody = parent !== null;
  const at = (rest: string) => (base ? `${base}.${rest}` : rest);
  let { nodes, edges } = graph;
  // A loop body's shape is already reported by the loop's data schema.
  if (!Array.isArray(nodes)) {
    if (!isBody) ctx.error(at('nodes'), 'INVALID_NODES', nodes === undefined ? 'nodes is required' : 'nodes must be an array');
    nodes = undefined;
  }
  if (edges === undefined || edges === null) edges = [];
  if (!Array.isArray(edges)) {
    if (!isBody) ctx.error(at('edges'), 'INVALID_EDGES', 'edges must be an array');
    edges = [];
  }
  if (!nodes) return undefined;
  const list = nodes as unknown[];
  if (list.length === 0) {
    if (isBody) ctx.error(at('nodes'), 'EMPTY_LOOP_BODY', 'A loop body needs at least one node');
    else ctx.warn('nodes', 'EMPTY_FLOW', 'The flow has no nodes; a run does nothing');
  }
  return { base, parent, owner, nodes: list, edges: edges as unknown[], ids: new Map(), checked: new Array(list.length) };
}

/** Checks each node of a scope; returns the loop bodies found, to be checked as scopes of their own. */
function checkScopeNodes(scope: Scope, ctx: Context): Scope[] {
  const bodies: Scope[] = [];
  const starts: number[] = [];
  scope.nodes.forEach((node, i) => {
    const path = pathIn(scope, `nodes[${i}]`);
    if (!isObject(node)) {
      ctx.error(path, 'INVALID_NODE', 'A node must be an object');
      return;
    }
    const id = node.id;
    if (typeof id !== 'string' || !NODE_ID_PATTERN.test(id)) {
      ctx.error(`${path}.id`, 'INVALID_NODE_ID', id === undefined ? 'Node id is required' : 'Node ids are 1-64 letters, digits, "_" or "-"');
    } else if (RESERVED_NODE_IDS.has(id)) {
      ctx.error(`${path}.id`, 'RESERVED_NODE_ID', `"${id}" cannot be a node id: ${[...RESERVED_NODE_IDS].join(', ')} are reserved`);
    } else if (ctx.allIds.has(id)) {
      ctx.error(`${path}.id`, 'DUPLICATE_NODE_ID', `Node id "${id}" is already used by ${ctx.allIds.get(id)}`);
    } else {
      ctx.allIds.set(id, path);
      scope.ids.set(id, i);
    }

    const checked = checkNode(node, path, ctx);
    scope.checked[i] = checked;
    if (ctx.save) checkNodeForSave(checked, path, ctx.save, ctx.error, ctx.warn);
    if (checked.def?.type === 'start') starts.push(i);
    const body = checked.data?.body;
    if (checked.def?.type === 'loop' && isObject(body)) {
      const bodyScope = openScope(body, `${path}.data.body`, scope, i, ctx);
      if (bodyScope && typeof checked.data?.item_variable === 'string') bodyScope.itemVariable = checked.data.item_variable;
      if (bodyScope) bodies.push(bodyScope);
    }
  });
  for (const i of starts.slice(1)) {
    ctx.warn(pathIn(scope, `nodes[${i}]`), 'MULTIPLE_START_NODES', 'More than one start node: each starts its own branch with the input');
  }
  return bodies;
}

/** References, edges, ports, entry nodes, cycles and reachability of one scope. */
function checkScopeGraph(scope: Scope, ctx: Context): void {
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
