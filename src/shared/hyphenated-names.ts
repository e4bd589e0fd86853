/**
 * Node ids may contain `-` (`my-node`), which JSONata reads as subtraction unless the name is
 * written in backticks. This rewrites chosen hyphenated names into backticked ones before parsing.
 */
import { skipPast, skipQuoted } from './template-syntax';

/** An expression after quoting, with a way back to offsets in the source the user wrote. */
export interface QuotedExpression {
  source: string;
  /** Maps an offset in `source` (e.g. a JSONata error position) to the original expression. */
  toOriginal(position: number): number;
}

const NAME_CHAR = /[\p{L}\p{N}_]/u;
const WORD_OPERATORS = new Set(['and', 'or', 'in']);

/**
 * Wraps in backticks every hyphenated name run for which `shouldQuote` is true. A name run is a
 * maximal `[letters digits _]` sequence joined by single inner `-`, outside string literals,
 * backtick names, comments and regex literals, and not a `$variable`. Runs are only offered to
 * `shouldQuote` when they contain `-`.
 */
export function quoteHyphenatedNames(expression: string, shouldQuote: (name: string) => boolean): QuotedExpression {
  if (!expression.includes('-')) return { source: expression, toOriginal: (p) => p };
  const chunks: string[] = [];
  const inserted: number[] = [];
  let copied = 0;
  let afterOperand = false;
  let i = 0;
  while (i < expression.length) {
    const c = expression[i];
    if (c === '"' || c === "'" || c === '`') {
      i = c === '`' ? skipPast(expression, '`', i + 1) : skipQuoted(expression, i);
      afterOperand = true;
    } else if (c === '/' && expression[i + 1] === '*') {
      i = skipPast(expression, '*/', i + 2);
    } else if (c === '/' && !afterOperand) {
      i = skipRegex(expression, i);
      afterOperand = true;
    } else if (c === '$' || NAME_CHAR.test(c)) {
      const end = nameRunEnd(expression, i + 1);
      const run = expression.slice(i, end);
      if (c !== '$' && run.includes('-') && shouldQuote(run)) {
        chunks.push(expression.slice(copied, i), '`', run, '`');
        const shift = inserted.length;
        inserted.push(i + shift, end + shift + 1);
        copied = end;
      }
      afterOperand = !WORD_OPERATORS.has(run);
      i = end;
    } else {
      if (!/\s/.test(c)) afterOperand = c === ')' || c === ']' || c === '}';
      i++;
    }
    if (i < 0) break;
  }
  if (inserted.length === 0) return { source: expression, toOriginal: (p) => p };
  chunks.push(expression.slice(copied));
  return {
    source: chunks.join(''),
    toOriginal: (position) => position - inserted.filter((at) => at < position).length,
  };
}

function nameRunEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && (NAME_CHAR.test(text[i]) || (text[i] === '-' && NAME_CHAR.test(text[i + 1] ?? '')))) i++;
  return i;
}

/** Index just past a `/regex/flags` literal starting at `start`, or -1 when unterminated. */
function skipRegex(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '/') {
      let end = i + 1;
      while (end < text.length && /[a-z]/i.test(text[end])) end++;
      return end;
    }
  }
  return -1;
}
