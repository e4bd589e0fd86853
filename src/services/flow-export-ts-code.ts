/**
 * Small pieces of TypeScript source text the flow exporter writes (docs/export-typescript.md):
 * quoted strings, property keys, node references, local names, and values laid out on one line
 * or one item per line.
 */

/** One level of indentation in the exported file. */
export const INDENT = '  ';

/** `ctx.id`, or `ctx['my-node']` for ids that are not identifiers. */
export function ref(id: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(id) ? `ctx.${id}` : `ctx[${quote(id)}]`;
}

/** A local name derived from a node id: `check-order` → `checkOrder` (never starting with a digit). */
export function camel(id: string): string {
  const words = id.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const name = words.map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join('') || 'node';
  return /^[0-9]/.test(name) ? `n${name}` : name;
}

/** A single-quoted TypeScript string. */
export function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}'`;
}

/** `text` escaped for the inside of a template literal (backslashes, backticks, `${`). */
export function escapeTemplate(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

/** `k` as an object literal key: bare when an identifier, else quoted (`__proto__` computed). */
export function key(k: string): string {
  if (k === '__proto__') return `['__proto__']`;
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k);
}

/** A string array literal of `ids`. */
export function list(ids: string[]): string {
  return `[${ids.map(quote).join(', ')}]`;
}

/** A value written as it is (no template evaluated). */
export function literal(value: unknown, level: number): string {
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) return wrap('[', value.map((v) => literal(v, level + 1)), ']', level);
  if (value && typeof value === 'object') {
    return wrap('{ ', Object.entries(value).map(([k, v]) => `${key(k)}: ${literal(v, level + 1)}`), ' }', level);
  }
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/** Items on one line when short, else one per line at `level`. */
export function wrap(open: string, items: string[], close: string, level: number): string {
  if (items.length === 0) return open.trim() + close.trim();
  const one = `${open}${items.join(', ')}${close}`;
  if (one.length <= 80 && !one.includes('\n')) return one;
  const pad = INDENT.repeat(level + 1);
  return `${open.trim()}\n${items.map((i) => `${pad}${i},`).join('\n')}\n${INDENT.repeat(level)}${close.trim()}`;
}
