/**
 * Which top-level context names a parsed JSONata expression reads (best effort, for validation).
 */

/** The parts of a JSONata AST node this walk looks at. */
interface AstNode {
  type?: string;
  value?: unknown;
  steps?: AstNode[];
  [key: string]: unknown;
}

// Sub-expressions evaluated against something other than the expression's input (an item, a match).
const RELATIVE_PARTS = new Set(['stages', 'predicate', 'group', 'pattern', 'update', 'delete']);

/**
 * Adds to `roots` the names read from the root context by `ast`: the first step of every path in
 * root position (top level, operands, function arguments, lambda bodies, object constructor
 * entries…), and the step after `$$` (or after `$` in root position). Names inside predicates,
 * later path steps, group-bys and transforms are relative to other values and are not roots.
 */
export function collectRoots(ast: unknown, roots: Set<string>): void {
  visit(ast, true, roots);
}

function visit(node: unknown, atRoot: boolean, roots: Set<string>): void {
  if (Array.isArray(node)) {
    for (const child of node) visit(child, atRoot, roots);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const ast = node as AstNode;
  if (ast.type === 'path' && Array.isArray(ast.steps)) {
    visitPath(ast.steps, atRoot, roots);
    visitChildren(ast, atRoot, roots, 'steps');
    return;
  }
  if (ast.type === 'name' && atRoot && typeof ast.value === 'string') roots.add(ast.value);
  visitChildren(ast, atRoot, roots);
}

function visitPath(steps: AstNode[], atRoot: boolean, roots: Set<string>): void {
  const [first, second] = steps;
  const fromRoot = first?.type === 'variable' && (first.value === '$' || (first.value === '' && atRoot));
  if (fromRoot && second?.type === 'name' && typeof second.value === 'string') roots.add(second.value);
  steps.forEach((step, index) => visit(step, atRoot && index === 0, roots));
}

function visitChildren(ast: AstNode, atRoot: boolean, roots: Set<string>, skip?: string): void {
  for (const [key, child] of Object.entries(ast)) {
    if (key === skip || typeof child !== 'object' || child === null) continue;
    visit(child, atRoot && !RELATIVE_PARTS.has(key), roots);
  }
}
