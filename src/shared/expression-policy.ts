/**
 * Which expressions may run inside the workflow (docs/flow-format.md: no expression may block a workflow
 * task). An expression runs **inline** — in the interpreter workflow, under a step and data budget —
 * only when its cost is linear in the data it reads: paths, filters, literals, operators,
 * conditionals, constructors and a list of built-in functions whose work is proportional to their
 * arguments. Everything else (lambdas, higher-order functions, regular expressions, ranges,
 * variable bindings, `$eval`, sorting, padding, replacing…) runs **isolated**: in a local activity
 * on a worker thread with a wall-clock and memory budget (see `src/nodes/sandbox/expression-pool.ts`).
 *
 * Inside a mapped path step or a filter, the root (`$$`) may not be read, so what one item's step
 * does is bounded by that item: the total inline work is bounded by the data the expression reads.
 * Bundle-safe: pure code over JSONata's AST.
 */

/** The parts of a JSONata AST node this policy looks at. */
interface AstNode {
  type?: string;
  value?: unknown;
  [key: string]: unknown;
}

/** Where an expression runs (compiled into `exec.eval` of a node). */
export type EvalMode = 'inline' | 'isolated';

/** The outcome of classifying one expression. */
export type InlineVerdict = { inline: true } | { inline: false; reason: string };

/** Longest source that may run inline (characters). */
export const MAX_INLINE_SOURCE = 2_000;
/** Largest AST (nodes) that may run inline. */
export const MAX_INLINE_AST_NODES = 300;

/**
 * Built-in functions allowed inline: each does work proportional to its arguments and returns a
 * value no larger than a constant times its arguments. Not here (isolated): `$map`, `$filter`,
 * `$reduce`, `$sift`, `$each`, `$single` (callbacks), `$sort`, `$distinct`, `$shuffle`
 * (super-linear or unbounded), `$pad`, `$replace`, `$match` (output or time not bounded by the
 * input), `$eval` (runs a string as an expression), `$formatInteger`, `$parseInteger` (pictures).
 */
export const INLINE_FUNCTIONS: ReadonlySet<string> = new Set([
  'count', 'sum', 'max', 'min', 'average', 'exists', 'boolean', 'not', 'number', 'abs', 'floor',
  'ceil', 'round', 'sqrt', 'power', 'length', 'uppercase', 'lowercase', 'trim', 'substring',
  'substringBefore', 'substringAfter', 'contains', 'string', 'join', 'split', 'keys', 'lookup',
  'append', 'merge', 'type', 'now', 'millis', 'fromMillis', 'toMillis', 'base64encode',
  'base64decode', 'encodeUrlComponent', 'encodeUrl', 'decodeUrlComponent', 'decodeUrl',
  'formatNumber', 'formatBase', 'reverse', 'spread', 'zip', 'error', 'assert', 'random',
]);

class NotInline extends Error {}

/** Classifies a parsed expression (JSONata's `ast()`), with its source for the size limits. */
export function inlineVerdict(ast: unknown, source: string): InlineVerdict {
  if (source.length > MAX_INLINE_SOURCE) return { inline: false, reason: `longer than ${MAX_INLINE_SOURCE} characters` };
  const walk = { nodes: 0 };
  try {
    visit(ast, false, walk);
  } catch (err) {
    if (err instanceof NotInline) return { inline: false, reason: err.message };
    throw err;
  }
  return { inline: true };
}

function reject(reason: string): never {
  throw new NotInline(reason);
}

/** `mapped`: evaluated once per item of a path step or filter, where the root may not be read. */
function visit(node: unknown, mapped: boolean, walk: { nodes: number }): void {
  if (node === null || node === undefined) return;
  if (Array.isArray(node)) {
    for (const child of node) visit(child, mapped, walk);
    return;
  }
  if (typeof node !== 'object') return;
  if (++walk.nodes > MAX_INLINE_AST_NODES) reject(`more than ${MAX_INLINE_AST_NODES} parts`);
  const ast = node as AstNode;
  if (ast.group !== undefined) reject('group-by');
  if (ast.tuple || ast.focus !== undefined || ast.index !== undefined) reject('positional or focus bindings');
  for (const stage of (ast.stages as AstNode[] | undefined) ?? []) visitStage(stage, walk);
  for (const stage of (ast.predicate as AstNode[] | undefined) ?? []) visitStage(stage, walk);
  switch (ast.type) {
    case 'string':
    case 'number':
    case 'value':
    case 'name':
    case 'wildcard':
      return;
    case 'variable':
      if (ast.value === '') return;
      if (ast.value === '$') {
        if (mapped) reject('the root `$$` inside a path step or filter');
        return;
      }
      return reject(`the variable $${String(ast.value)}`);
    case 'path': {
      const steps = (ast.steps as AstNode[] | undefined) ?? [];
      steps.forEach((step, i) => visit(step, mapped || i > 0, walk));
      return;
    }
    case 'binary':
      if (ast.value === '..') reject('a range');
      visit(ast.lhs, mapped, walk);
      visit(ast.rhs, mapped, walk);
      return;
    case 'unary':
      if (ast.value === '-') return visit(ast.expression, mapped, walk);
      if (ast.value === '[') return visit(ast.expressions, mapped, walk);
      if (ast.value === '{') return visit(ast.lhs, mapped, walk);
      return reject(`the operator ${String(ast.value)}`);
    case 'condition':
      visit(ast.condition, mapped, walk);
      visit(ast.then, mapped, walk);
      visit(ast.else, mapped, walk);
      return;
    case 'block':
      return visit(ast.expressions, mapped, walk);
    case 'function':
      checkProcedure(ast.procedure as AstNode | undefined);
      return visit(ast.arguments, mapped, walk);
    case 'apply': {
      const rhs = ast.rhs as AstNode | undefined;
      if (rhs?.type !== 'function') reject('`~>` into something other than a built-in function call');
      visit(ast.lhs, mapped, walk);
      return visit(rhs, mapped, walk);
    }
    default:
      return reject(describeType(ast.type));
  }
}

function visitStage(stage: AstNode, walk: { nodes: number }): void {
  if (stage.type !== 'filter') reject('an index binding');
  visit(stage.expr, true, walk);
}

function checkProcedure(procedure: AstNode | undefined): void {
  if (procedure?.type !== 'variable' || typeof procedure.value !== 'string') reject('a call of a computed function');
  if (!INLINE_FUNCTIONS.has(procedure.value)) reject(`$${procedure.value}()`);
}

function describeType(type: unknown): string {
  switch (type) {
    case 'lambda':
      return 'a function definition';
    case 'partial':
      return 'partial application';
    case 'regex':
      return 'a regular expression';
    case 'bind':
      return 'a variable binding (:=)';
    case 'sort':
      return 'sorting (^)';
    case 'descendant':
      return 'descendants (**)';
    case 'parent':
      return 'the parent operator (%)';
    case 'transform':
      return 'a transform (|…|)';
    default:
      return `an expression of type ${String(type)}`;
  }
}

/**
 * The top-level context names an isolated evaluation needs, or `'all'` when the expression reads
 * the root as a whole (`$$` or `$` not followed by a name, `$eval`, `$lookup($$, …)`…). Names are
 * the first step of root paths, as `collectRoots` finds them; this adds the whole-root check.
 */
export function readsWholeRoot(ast: unknown): boolean {
  let whole = false;
  const scan = (node: unknown, rootPosition: boolean): void => {
    if (whole || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const child of node) scan(child, rootPosition);
      return;
    }
    const n = node as AstNode;
    if (n.type === 'path') {
      const steps = (n.steps as AstNode[] | undefined) ?? [];
      const [first, second] = steps;
      const rootVar = first?.type === 'variable' && (first.value === '$' || (first.value === '' && rootPosition));
      if (rootVar && second?.type !== 'name') whole = true;
      steps.forEach((step, i) => {
        if (i === 0 && rootVar) return;
        scan(step, rootPosition && i === 0);
      });
      for (const [key, child] of Object.entries(n)) if (key !== 'steps') scan(child, false);
      return;
    }
    if (n.type === 'variable' && (n.value === '$' || (n.value === '' && rootPosition))) whole = true;
    if (n.type === 'function' && (n.procedure as AstNode | undefined)?.value === 'eval') whole = true;
    for (const [key, child] of Object.entries(n)) {
      if (key === 'procedure') continue;
      scan(child, rootPosition && key !== 'stages' && key !== 'predicate');
    }
  };
  scan(ast, true);
  return whole;
}
