/**
 * Which output field of a node an expression reads (`reslt` in `{{ fetch.reslt }}`), so a field
 * its type never outputs can be reported when the flow is saved.
 */
import { compileExpression } from '../shared/expression-compiler';
import { quoteHyphenatedNames } from '../shared/hyphenated-names';
import { splitTemplate } from '../shared/template-syntax';

/** The parts of a JSONata AST node this walk looks at. */
interface AstNode {
  type?: string;
  value?: unknown;
  steps?: AstNode[];
  [key: string]: unknown;
}

// As in src/shared/expression-roots.ts: sub-expressions evaluated against something other than the root.
const RELATIVE_PARTS = new Set(['stages', 'predicate', 'group', 'pattern', 'update', 'delete']);

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');

/**
 * The fields read right after `root` in `text` (a template, or a bare expression when
 * `expression`): `['reslt']` for `{{ fetch.reslt }}` with root `fetch`. Only fields for which
 * `suspicious` is true are looked for: a quick scan of the text comes first, and the expression is
 * parsed only when it finds one, so the usual reference (`fetch.result`) costs no parse.
 */
export function fieldsReadAfter(
  text: string,
  expression: boolean,
  root: string,
  isNodeId: (name: string) => boolean,
  suspicious: (field: string) => boolean,
): string[] {
  const scan = new RegExp(`(?:^|[^\\w$.\`-])\`?${escapeRegExp(root)}\`?\\s*\\.\\s*([A-Za-z_$][\\w$]*)`, 'g');
  let candidate = false;
  for (const match of text.matchAll(scan)) if (suspicious(match[1])) candidate = true;
  if (!candidate) return [];

  const fields = new Set<string>();
  const sources = expression ? [text] : splitTemplate(text).parts.flatMap((p) => (p.kind === 'expression' && p.source ? [p.source] : []));
  for (const source of sources) {
    const compiled = compileExpression(quoteHyphenatedNames(source, isNodeId).source);
    if (compiled.ok) visit(compiled.expression.ast(), true, root, fields);
  }
  return [...fields].filter(suspicious);
}

function visit(node: unknown, atRoot: boolean, root: string, fields: Set<string>): void {
  if (Array.isArray(node)) {
    for (const child of node) visit(child, atRoot, root, fields);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const ast = node as AstNode;
  if (ast.type === 'path' && Array.isArray(ast.steps)) {
    const steps = ast.steps;
    const fromContext = steps[0]?.type === 'variable' && (steps[0].value === '$' || (steps[0].value === '' && atRoot));
    const at = fromContext ? 1 : atRoot ? 0 : -1;
    const [first, next] = at >= 0 ? [steps[at], steps[at + 1]] : [];
    if (first?.type === 'name' && first.value === root && next?.type === 'name' && typeof next.value === 'string') fields.add(next.value);
    steps.forEach((step, index) => visit(step, atRoot && index === 0, root, fields));
    visitChildren(ast, atRoot, root, fields, 'steps');
    return;
  }
  visitChildren(ast, atRoot, root, fields);
}

function visitChildren(ast: AstNode, atRoot: boolean, root: string, fields: Set<string>, skip?: string): void {
  for (const [key, child] of Object.entries(ast)) {
    if (key === skip || typeof child !== 'object' || child === null) continue;
    visit(child, atRoot && !RELATIVE_PARTS.has(key), root, fields);
  }
}
