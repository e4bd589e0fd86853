/**
 * The flow exporter's writer for node data: values with their `{{ }}` templates as code, and
 * JSONata expressions as calls of the exported file's `evaluate` (node ids with hyphens quoted, as
 * the platform reads them).
 */
import type { CompiledFlow } from '../shared/flow';
import { quoteHyphenatedNames } from '../shared/hyphenated-names';
import { hasTemplate, splitTemplate } from '../shared/template-syntax';
import { escapeTemplate, key, literal, quote, wrap } from './flow-export-ts-code';
import { LineWriter } from './flow-export-ts-writer-lines';

/** Writes node data and expressions of `flow` as code. */
export class ValueWriter extends LineWriter {
  /** Node ids (in loop bodies too) that expressions must quote: they contain a hyphen. */
  private readonly hyphenated: Set<string>;
  /** Whether an expression calls `$base64…` (the file then registers those functions). */
  protected base64 = false;

  /** Prepares to write `flow`. */
  constructor(protected readonly flow: CompiledFlow) {
    super();
    const ids = new Set<string>();
    const collect = (graph: CompiledFlow) => {
      for (const n of graph.nodes) {
        ids.add(n.id);
        if (n.type === 'loop') collect(n.data.body as CompiledFlow);
      }
    };
    collect(flow);
    this.hyphenated = new Set([...ids].filter((id) => id.includes('-')));
  }

  /** Code for `value` with every `{{ }}` template evaluated (`raw` keys at the top level are kept as written). */
  protected value(value: unknown, ctxFor: string, path: string, raw: (key: string) => boolean = () => false, level = 0): string {
    if (typeof value === 'string') return hasTemplate(value) ? this.template(value, ctxFor, path) : quote(value);
    if (Array.isArray(value)) {
      const items = value.map((v) => this.value(v, ctxFor, path, undefined, level + 1));
      return wrap('[', items, ']', this.depth + level);
    }
    if (value && typeof value === 'object') {
      const entries = Object.entries(value).map(([k, v]) => {
        const code = level === 0 && raw(k) ? literal(v, this.depth + level + 1) : this.value(v, ctxFor, path, undefined, level + 1);
        return `${key(k)}: ${code}`;
      });
      return wrap('{ ', entries, ' }', this.depth + level);
    }
    return value === undefined ? 'undefined' : JSON.stringify(value);
  }

  /** Code for a string with `{{ }}` templates: the expression's value when it is one whole template, else a template literal. */
  private template(text: string, ctxFor: string, path: string): string {
    const split = splitTemplate(text);
    if (split.unclosedAt !== undefined) {
      this.problems[path] = `${path}: a \`{{\` at offset ${split.unclosedAt} has no matching \`}}\``;
      return quote(text);
    }
    if (split.whole && split.parts[0].kind === 'expression') return this.evaluate(split.parts[0].source, ctxFor, path);
    this.helpers.add('text');
    let out = '`';
    for (const part of split.parts) {
      out += part.kind === 'text' ? escapeTemplate(part.text) : `\${text(${this.evaluate(part.source, ctxFor, path)})}`;
    }
    return `${out}\``;
  }

  /** Code evaluating `expression` over `ctxFor`; an empty one is a problem at `path`. */
  protected evaluate(expression: string, ctxFor: string, path: string): string {
    if (expression.trim() === '') this.problems[path] = `${path}: an empty expression`;
    if (expression.includes('$base64')) this.base64 = true;
    this.helpers.add('evaluate');
    const source = quoteHyphenatedNames(expression, (name) => this.hyphenated.has(name)).source;
    return `await evaluate(${quote(source)}, ${ctxFor})`;
  }
}
