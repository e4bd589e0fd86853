import { compileExpression } from '../shared/expression-compiler';
import { collectRoots } from '../shared/expression-roots';
import { inlineVerdict, readsWholeRoot, type EvalMode } from '../shared/expression-policy';
import { quoteHyphenatedNames } from '../shared/hyphenated-names';
import { hasTemplate, splitTemplate } from '../shared/template-syntax';

/** Where a node's expressions are evaluated, and which context names they read. */
export interface EvalPlacement {
  mode: EvalMode;
  /** Why the node's expressions run isolated (the first expression that cannot run inline). */
  reason?: string;
  /** Context names the expressions read; undefined when one reads the context as a whole. */
  reads?: string[];
}

/** The fields of a node's data that are not evaluated as templates. */
export interface DataFields {
  /** Paths of bare expressions, `cases[].expression` style. */
  expressionFields: readonly string[];
  /** Top-level fields passed as written (source code) or handled elsewhere (a loop's body). */
  skipFields: readonly string[];
}

/**
 * Decides where a node's expressions run (see `src/shared/expression-policy.ts`): `inline` when
 * every template and expression in its data may run in the workflow, else `isolated`. Expressions
 * that do not parse count as isolated; validation reports them.
 */
export function placeEvaluation(data: Record<string, unknown>, fields: DataFields, nodeIds: ReadonlySet<string>): EvalPlacement {
  const sources: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (fields.skipFields.includes(key)) continue;
    const bare = fields.expressionFields.filter((f) => f === key || f.startsWith(`${key}[]`) || f.startsWith(`${key}.`));
    collect(value, key, bare, sources);
  }
  const roots = new Set<string>();
  let whole = false;
  let reason: string | undefined;
  for (const source of sources) {
    const quoted = quoteHyphenatedNames(source, (name) => nodeIds.has(name)).source;
    const compiled = compileExpression(quoted);
    if (!compiled.ok) {
      reason ??= `\`${abbreviate(source)}\` does not parse`;
      whole = true;
      continue;
    }
    const ast = compiled.expression.ast();
    const verdict = inlineVerdict(ast, source);
    if (!verdict.inline) reason ??= `\`${abbreviate(source)}\` uses ${verdict.reason}`;
    if (readsWholeRoot(ast)) whole = true;
    else collectRoots(ast, roots);
  }
  return {
    mode: reason === undefined ? 'inline' : 'isolated',
    ...(reason !== undefined ? { reason } : {}),
    ...(whole ? {} : { reads: [...roots] }),
  };
}

/** Adds every expression source in `value` (at `path`) to `out`: bare ones at `bare` paths, else `{{ }}` parts. */
function collect(value: unknown, path: string, bare: string[], out: string[]): void {
  if (typeof value === 'string') {
    if (bare.includes(path)) out.push(value);
    else if (hasTemplate(value)) {
      for (const part of splitTemplate(value).parts) if (part.kind === 'expression' && part.source) out.push(part.source);
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item) => collect(item, `${path}[]`, bare, out));
    return;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) collect(item, `${path}.${key}`, bare, out);
  }
}

function abbreviate(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
