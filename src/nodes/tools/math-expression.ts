/**
 * Arithmetic for the `math` tool: numbers, + - * / % ^ (power, right-associative), parentheses,
 * unary minus, the constants pi and e, and a few functions. A small recursive-descent parser, not
 * `eval` or JSONata: models send these expressions, and nothing else may run.
 */

const FUNCTIONS: Record<string, (...args: number[]) => number> = {
  abs: Math.abs,
  sqrt: Math.sqrt,
  cbrt: Math.cbrt,
  round: (x, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits,
  floor: Math.floor,
  ceil: Math.ceil,
  trunc: Math.trunc,
  min: Math.min,
  max: Math.max,
  pow: Math.pow,
  exp: Math.exp,
  ln: Math.log,
  log: (x, base) => (base === undefined ? Math.log10(x) : Math.log(x) / Math.log(base)),
  log2: Math.log2,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
};
const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };
const MAX_LENGTH = 1_000;
const MAX_DEPTH = 100;

/** Names of the functions {@link evaluateMath} knows. */
export const MATH_FUNCTIONS = Object.keys(FUNCTIONS);

/** A mistake in an expression (not a bug of the evaluator). */
export class MathSyntaxError extends Error {}

type Token = { kind: 'num'; value: number } | { kind: 'name'; value: string } | { kind: 'op'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(\*\*|[-+*/%^(),]))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new MathSyntaxError(`unexpected character "${text.slice(at).trim()[0]}" at ${at + 1}`);
    at = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: 'num', value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ kind: 'name', value: m[2].toLowerCase() });
    else tokens.push({ kind: 'op', value: m[3] === '**' ? '^' : m[3] });
  }
  return tokens;
}

/**
 * Evaluates an arithmetic expression such as `2 * (3 + 4) ^ 2 / sqrt(16)`.
 * @throws MathSyntaxError for an expression it cannot read, an unknown name or a non-finite result
 */
export function evaluateMath(expression: string): number {
  if (expression.length > MAX_LENGTH) throw new MathSyntaxError(`expression longer than ${MAX_LENGTH} characters`);
  const tokens = tokenize(expression);
  let pos = 0;
  let depth = 0;
  const peek = () => tokens[pos];
  const isOp = (value: string) => peek()?.kind === 'op' && peek()!.value === value;
  const expect = (value: string) => {
    if (!isOp(value)) throw new MathSyntaxError(`expected "${value}"`);
    pos++;
  };

  const nested = <T>(f: () => T): T => {
    if (++depth > MAX_DEPTH) throw new MathSyntaxError('expression nested too deeply');
    try {
      return f();
    } finally {
      depth--;
    }
  };

  const primary = (): number =>
    nested(() => {
      const t = peek();
      if (!t) throw new MathSyntaxError('unexpected end of expression');
      pos++;
      if (t.kind === 'num') return t.value;
      if (t.kind === 'op' && (t.value === '-' || t.value === '+')) {
        const v = power();
        return t.value === '-' ? -v : v;
      }
      if (t.kind === 'op' && t.value === '(') {
        const v = sum();
        expect(')');
        return v;
      }
      if (t.kind === 'name') {
        if (isOp('(')) {
          const fn = Object.hasOwn(FUNCTIONS, t.value) ? FUNCTIONS[t.value] : undefined;
          if (!fn) throw new MathSyntaxError(`unknown function "${t.value}"; known: ${MATH_FUNCTIONS.join(', ')}`);
          pos++;
          const args: number[] = [];
          if (!isOp(')')) {
            args.push(sum());
            while (isOp(',')) {
              pos++;
              args.push(sum());
            }
          }
          expect(')');
          return fn(...args);
        }
        if (Object.hasOwn(CONSTANTS, t.value)) return CONSTANTS[t.value];
        throw new MathSyntaxError(`unknown name "${t.value}"`);
      }
      throw new MathSyntaxError(`unexpected "${t.value}"`);
    });

  const power = (): number => {
    const base = primary();
    if (!isOp('^')) return base;
    pos++;
    return base ** nested(() => power());
  };

  const product = (): number => {
    let v = power();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = peek()!.value;
      pos++;
      const r = power();
      v = op === '*' ? v * r : op === '/' ? v / r : v % r;
    }
    return v;
  };

  const sum = (): number =>
    nested(() => {
      let v = product();
      while (isOp('+') || isOp('-')) {
        const op = peek()!.value;
        pos++;
        const r = product();
        v = op === '+' ? v + r : v - r;
      }
      return v;
    });

  const value = sum();
  if (pos < tokens.length) throw new MathSyntaxError(`unexpected "${String(peek()!.value)}"`);
  if (!Number.isFinite(value)) throw new MathSyntaxError(`the result is not a finite number (${value})`);
  return value;
}
