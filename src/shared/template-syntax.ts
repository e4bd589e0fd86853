/**
 * Splitting template strings into literal text and `{{ expression }}` parts (docs/flow-format.md, Templates).
 * Pure string code, shared by rendering, validation and reference discovery.
 */

/** A piece of a template string: literal text, or the (trimmed) source of one `{{ }}` expression. */
export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'expression'; source: string; offset: number };

/** A template string split into its parts. */
export interface SplitTemplate {
  parts: TemplatePart[];
  /** The whole string is exactly one `{{ }}`, so rendering keeps the value's type. */
  whole: boolean;
  /** Offset of a `{{` that has no matching `}}`; everything from there on is in `parts` as text. */
  unclosedAt?: number;
}

/** Whether a string contains any template opening. */
export function hasTemplate(text: string): boolean {
  return text.includes('{{');
}

/**
 * Splits `text` into literal and expression parts. An expression ends at the first `}}` that is
 * outside its string literals, backtick names, comments and object braces, so
 * `{{ {"a": {"b": 1}} }}` and `{{ x & "}}" }}` are read whole.
 */
export function splitTemplate(text: string): SplitTemplate {
  const parts: TemplatePart[] = [];
  let cursor = 0;
  for (;;) {
    const open = text.indexOf('{{', cursor);
    if (open < 0) break;
    const close = findClose(text, open + 2);
    if (close < 0) {
      parts.push({ kind: 'text', text: text.slice(cursor) });
      return { parts, whole: false, unclosedAt: open };
    }
    if (open > cursor) parts.push({ kind: 'text', text: text.slice(cursor, open) });
    parts.push({ kind: 'expression', source: text.slice(open + 2, close).trim(), offset: open });
    cursor = close + 2;
  }
  if (cursor < text.length) parts.push({ kind: 'text', text: text.slice(cursor) });
  return { parts, whole: parts.length === 1 && parts[0].kind === 'expression' };
}

/** Index of the `}}` closing an expression that starts at `from`, or -1. */
function findClose(text: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' || c === "'") {
      i = skipQuoted(text, i);
    } else if (c === '`') {
      i = skipPast(text, '`', i + 1);
    } else if (c === '/' && text[i + 1] === '*') {
      i = skipPast(text, '*/', i + 2);
    } else {
      if (c === '{') depth++;
      else if (c === '}' && depth > 0) depth--;
      else if (c === '}' && text[i + 1] === '}') return i;
      i++;
      continue;
    }
    // An unterminated literal: fall back to the first `}}` so JSONata reports the real problem.
    if (i < 0) return text.indexOf('}}', from);
  }
  return -1;
}

/** Index just past the quoted string starting at `start`, or -1 when it is not terminated. */
export function skipQuoted(text: string, start: number): number {
  const quote = text[start];
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === quote) return i + 1;
  }
  return -1;
}

/** Index just past the next `token` at or after `from`, or -1. */
export function skipPast(text: string, token: string, from: number): number {
  const at = text.indexOf(token, from);
  return at < 0 ? -1 : at + token.length;
}
