import { NODE_ID_PATTERN, RESERVED_CONTEXT_NAMES, RESERVED_NODE_IDS } from './node-id-rules';
import { checkReferences } from './reference-checks';
import { checkNodeForSave, type SaveCheckOptions } from './save-checks';
import { checkScopeGraph } from './scope-graph-checks';
import { checkNode } from './validate-node';
import { type ValidationIssue, type ValidationResult } from './validation-issue';
import { type Context, isObject, type Obj, pathIn, type Scope } from './validation-scope';

export type { SaveCheckOptions } from './save-checks';

export { FlowValidationError, type ValidationIssue, type ValidationResult } from './validation-issue';

export { NODE_ID_PATTERN, RESERVED_CONTEXT_NAMES, RESERVED_NODE_IDS } from './node-id-rules';

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

/** "Did you mean" searches per validation: each compares a name with every node id of a scope. */
const MAX_SUGGESTIONS = 100;

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
