/**
 * Runtime helpers of an exported TypeScript workflow (docs/export-typescript.md): JSONata
 * expressions evaluated as the platform evaluates them (plain JSON results, the platform's added
 * functions), templates' text, and JSONata truthiness for conditions and switches.
 */
import type { Helper } from './flow-export-ts-runtime-helper';

/** `evaluate`, the `$base64…` functions, `text` and `truthy`, in the order the exported file carries them. */
export const EXPRESSION_HELPERS = {
  evaluate: {
    uses: ['types'],
    imports: ['ApplicationFailure'],
    jsonata: true,
    code: `const compiled = new Map<string, jsonata.Expression>();

/** Evaluates a JSONata expression over \`context\`, as the platform does: the result as plain JSON. */
async function evaluate(expression: string, context: Context): Promise<unknown> {
  let e = compiled.get(expression);
  if (!e) {
    e = jsonata(expression);
    registerFunctions(e);
    compiled.set(expression, e);
  }
  try {
    const value = await e.evaluate(context);
    const json = value === undefined ? undefined : JSON.stringify(value);
    return json === undefined ? undefined : JSON.parse(json);
  } catch (err) {
    const { message, position } = err as { message?: string; position?: number };
    const where = position === undefined ? '' : \` (position \${position})\`;
    throw ApplicationFailure.create({
      type: 'ExpressionError',
      message: \`Expression failed \\\`\${expression}\\\`: \${message ?? String(err)}\${where}\`,
      nonRetryable: true,
    });
  }
}`,
  },
  registerNone: {
    jsonata: true,
    code: `/** Functions the platform adds to JSONata (none that this flow uses). */
function registerFunctions(_expression: jsonata.Expression): void {}`,
  },
  registerBase64: {
    jsonata: true,
    code: `const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** $base64encode/$base64decode over UTF-8 in plain code: the workflow sandbox has neither Buffer nor btoa. */
function registerFunctions(expression: jsonata.Expression): void {
  expression.registerFunction('base64encode', (text?: string) => {
    if (text === undefined) return undefined;
    const bytes = new TextEncoder().encode(text);
    let out = '';
    for (let i = 0; i < bytes.length; i += 3) {
      const chunk = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
      out += BASE64[(chunk >> 18) & 63] + BASE64[(chunk >> 12) & 63];
      out += i + 1 < bytes.length ? BASE64[(chunk >> 6) & 63] : '=';
      out += i + 2 < bytes.length ? BASE64[chunk & 63] : '=';
    }
    return out;
  }, '<s-:s>');
  expression.registerFunction('base64decode', (text?: string) => {
    if (text === undefined) return undefined;
    const clean = text.replace(/\\s+/g, '').replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
    const bytes: number[] = [];
    let buffer = 0;
    let bits = 0;
    for (const char of clean) {
      const value = BASE64.indexOf(char);
      if (value < 0) throw new Error(\`Invalid base64 character \${JSON.stringify(char)}\`);
      buffer = (buffer << 6) | value;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes.push((buffer >> bits) & 0xff);
      }
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  }, '<s-:s>');
}`,
  },
  text: {
    code: `/** How a value reads inside a larger template string: null as '', objects as JSON, numbers to 15 digits. */
function text(value: unknown): string {
  const round = (n: number) => (Number.isInteger(n) ? n : Number(n.toPrecision(15)));
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(round(value));
  if (typeof value === 'object') return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' ? round(v) : v));
  return String(value);
}`,
  },
  truthy: {
    code: `/** JSONata truthiness: empty arrays, empty strings, 0 and null are false. */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(truthy);
  return value !== undefined && value !== null && value !== false && value !== 0 && value !== '' && !Number.isNaN(value);
}`,
  },
} satisfies Record<string, Helper>;
