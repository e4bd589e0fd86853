/**
 * A recogniser for a small, common subset of JSONata — paths of plain names, literals, binary
 * operators, parentheses, array and object constructors, `$function(...)` calls — that needs no
 * JSONata parse (JSONata rebuilds its parser tables on every parse: ~0.2 ms per expression).
 * Anything outside the subset is left to the real parser, so the subset only has to be a strict
 * part of JSONata; `test/nodes/simple-expression.test.ts` checks it against JSONata itself.
 */

type Token = { kind: 'name' | 'variable' | 'literal' | 'op' | 'punct'; text: string };

const BINARY_OPS = new Set(['=', '!=', '<', '<=', '>', '>=', '&', '+', '*', '/', 'and', 'or', 'in']);
const KEYWORD_LITERALS = new Set(['true', 'false', 'null']);
const RESERVED = new Set(['and', 'or', 'in', 'function']);
const MAX_DEPTH = 32;

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /(?:0|[1-9][0-9]*)(?:\.[0-9]+)?/y;
const STRING = /"[^"\\]*"|'[^'\\]*'/y;
const WHITESPACE = /[ \t\n\r]+/y;
// JSONata reads a name up to whitespace or a one-character operator: `and$x` is one name.
const NAME_ENDS = ' \t\n\r\v.[]{}(),@#;:?+-*/%|=<>^&!~';

function sticky(re: RegExp, source: string, at: number): string | undefined {
  re.lastIndex = at;
  const match = re.exec(source);
  return match ? match[0] : undefined;
}

function tokenize(source: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    let text: string | undefined;
    if ((text = sticky(WHITESPACE, source, i))) {
      i += text.length;
      continue;
    }
    if ((text = sticky(NAME, source, i))) {
      if (i + text.length < source.length && !NAME_ENDS.includes(source[i + text.length])) return undefined;
      tokens.push({ kind: KEYWORD_LITERALS.has(text) ? 'literal' : 'name', text });
    }
    else if ((text = sticky(NUMBER, source, i))) tokens.push({ kind: 'literal', text });
    else if ((text = sticky(STRING, source, i))) tokens.push({ kind: 'literal', text });
    else if (c === '$') {
      NAME.lastIndex = i + 1;
      const name = NAME.exec(source);
      if (!name) return undefined;
      text = `$${name[0]}`;
      if (i + text.length < source.length && !NAME_ENDS.includes(source[i + text.length])) return undefined;
      tokens.push({ kind: 'variable', text });
    } else if ((c === '!' || c === '<' || c === '>') && source[i + 1] === '=') tokens.push({ kind: 'op', text: (text = `${c}=`) });
    else if ('=<>&+*/'.includes(c)) tokens.push({ kind: 'op', text: (text = c) });
    else if ('.()[]{},:'.includes(c)) tokens.push({ kind: 'punct', text: (text = c) });
    else return undefined;
    i += text.length;
  }
  return tokens;
}

/** Parser state: the tokens, the next position, the roots found so far. */
interface Parser {
  tokens: Token[];
  pos: number;
  roots: Set<string>;
}

/**
 * The context roots read by `source` when it is in the simple subset (and therefore valid
 * JSONata), e.g. `['fetch', 'input']` for `fetch.status = 200 and input.ok`; `undefined` when it is
 * not in the subset (it may still be valid: ask JSONata).
 */
export function simpleExpressionRoots(source: string): string[] | undefined {
  const tokens = tokenize(source);
  if (!tokens || tokens.length === 0) return undefined;
  const parser: Parser = { tokens, pos: 0, roots: new Set() };
  return expression(parser, 0) && parser.pos === tokens.length ? [...parser.roots] : undefined;
}

function isPunct(p: Parser, text: string): boolean {
  const token = p.tokens[p.pos];
  return token !== undefined && token.kind === 'punct' && token.text === text;
}

function expression(p: Parser, depth: number): boolean {
  if (!term(p, depth)) return false;
  for (;;) {
    const next = p.tokens[p.pos];
    if (!next || !(next.kind === 'op' || (next.kind === 'name' && BINARY_OPS.has(next.text)))) return true;
    if (!BINARY_OPS.has(next.text)) return false;
    p.pos++;
    if (!term(p, depth)) return false;
  }
}

/** `item (, item)* close`, or just `close`; the opening bracket is already consumed. */
function list(p: Parser, close: string, depth: number, objectEntries: boolean): boolean {
  if (isPunct(p, close)) {
    p.pos++;
    return true;
  }
  for (;;) {
    if (objectEntries) {
      const key = p.tokens[p.pos];
      const colon = p.tokens[p.pos + 1];
      if (key?.kind !== 'literal' || !/^["']/.test(key.text) || colon?.kind !== 'punct' || colon.text !== ':') return false;
      p.pos += 2;
    }
    if (!expression(p, depth)) return false;
    if (isPunct(p, ',')) p.pos++;
    else if (isPunct(p, close)) {
      p.pos++;
      return true;
    } else return false;
  }
}

function term(p: Parser, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  const token = p.tokens[p.pos++];
  if (!token) return false;
  switch (token.kind) {
    case 'literal':
      return true;
    case 'name':
      if (RESERVED.has(token.text)) return false;
      p.roots.add(token.text);
      while (isPunct(p, '.')) {
        const step = p.tokens[p.pos + 1];
        if (step?.kind !== 'name' || RESERVED.has(step.text)) return false;
        p.pos += 2;
      }
      return true;
    case 'variable':
      if (!isPunct(p, '(')) return false;
      p.pos++;
      return list(p, ')', depth + 1, false);
    case 'punct':
      if (token.text === '(') {
        if (!expression(p, depth + 1) || !isPunct(p, ')')) return false;
        p.pos++;
        return true;
      }
      if (token.text === '[') return list(p, ']', depth + 1, false);
      if (token.text === '{') return list(p, '}', depth + 1, true);
      return false;
    default:
      return false;
  }
}
