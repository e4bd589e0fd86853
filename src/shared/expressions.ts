/**
 * Expressions and templates (docs/flow-format.md, Templates): JSONata over the run context
 * `{trigger, input, execution, vars, <node_id>…, item, index}`, used by the interpreter workflow,
 * by activities and by API validation. Bundle-safe: no I/O, no Node built-ins, no randomness
 * added (JSONata's `$now()`/`$millis()` read `Date` and `$random()`/`$shuffle()` read
 * `Math.random`, both deterministic inside the workflow sandbox).
 *
 * Sandbox: expressions evaluate over deep copies of the context made of JSON values in
 * null-prototype objects, JSONata never reads inherited properties or properties of functions,
 * no host function is registered (only pure `$base64encode`/`$base64decode` replacements), and
 * results are copied back out as JSON values, so `constructor`, `__proto__` and `prototype`
 * lookups yield nothing and no expression can obtain a JavaScript global or host object. Each
 * evaluation has a step budget (see `expression-compiler.ts`), so runaway recursion fails with an
 * {@link ExpressionError} (code `STEP_LIMIT`) instead of hanging.
 *
 * Hyphenated node ids: JSONata reads `my-node.result` as `my - node.result`. Before parsing, a
 * name run (letters, digits, `_` joined by inner `-`, outside string literals, backtick names,
 * comments and regexes, and not a `$variable`) that is exactly a key of the context and contains
 * `-` is treated as that key, i.e. written as `` `my-node` ``. Anything else keeps JSONata's
 * meaning, so `a-b` is still a subtraction unless `a-b` is a context key, and ids that start or
 * end with `-` need explicit backticks. Spaces always mean subtraction: `my - node`.
 */
import {
  compileExpression,
  DATA_LIMIT,
  describeFailure,
  evaluateWithBudget,
  STEP_LIMIT,
  type EvaluationBudget,
  type ExpressionFailure,
} from './expression-compiler';
import { collectRoots } from './expression-roots';
import { quoteHyphenatedNames } from './hyphenated-names';
import { createSandboxRoot, toPlainData, type CopyMeter } from './sandbox-data';
import { hasTemplate, splitTemplate } from './template-syntax';

/** Thrown when an expression fails to parse or evaluate; message includes the expression and the cause. */
export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  /** The expression as written (for a template, the text inside one `{{ }}`; for an unclosed `{{`, the whole string). */
  readonly expression: string;
  /** JSONata's position in `expression` (the offset just past the offending token), when known. */
  readonly position?: number;
  /** JSONata's error code (`S0202`, `T2001`, `D3137`…), when there is one. */
  readonly code?: string;
  /** What went wrong, without the expression (`ran longer than 1000 ms`). */
  readonly reason: string;

  /** Builds the error from a cause; `syntax` selects the wording (does not parse vs failed while evaluating). */
  constructor(expression: string, cause: string | ExpressionFailure, syntax = false) {
    const failure: ExpressionFailure = typeof cause === 'string' ? { message: cause } : cause;
    const where = failure.position === undefined ? '' : ` (position ${failure.position})`;
    const verb = syntax ? 'Invalid expression' : 'Expression failed';
    super(`${verb} \`${abbreviate(expression)}\`: ${failure.message}${where}`);
    this.expression = expression;
    this.position = failure.position;
    this.code = failure.code;
    this.reason = failure.message;
  }
}

/** Options of one evaluation or render call. */
export interface EvaluateOptions {
  /**
   * What the call may spend in steps and copied values (shared by every template of a render);
   * without one, the context's default step limit applies and copies are not counted.
   */
  budget?: EvaluationBudget;
}

/** Whether `error` is an evaluation that ran out of its budget (steps or data), not a mistake in it. */
export function isBudgetExceeded(error: unknown): boolean {
  return error instanceof ExpressionError && (error.code === STEP_LIMIT || error.code === DATA_LIMIT);
}

/** Evaluates a bare JSONata expression over the context. */
export async function evaluateExpression(
  expression: string,
  context: Record<string, unknown>,
  options: EvaluateOptions = {},
): Promise<unknown> {
  return evaluateIn(expression, createScope(context, options.budget));
}

/**
 * Deep-renders every string in value containing {{ expr }}; a string that is exactly one {{ }}
 * keeps the value's type (number, object…); otherwise values are stringified (objects as JSON,
 * undefined/null as ''). Non-string leaves and keys untouched. Arrays/objects are copied, not mutated.
 *
 * "Exactly one" means the string starts with `{{` and ends with its `}}` (no surrounding
 * whitespace). Numbers are stringified as JSONata's `$string` does (15 significant digits, so
 * `0.1 + 0.2` gives `0.3`). A `{{` without a closing `}}` throws an {@link ExpressionError}.
 */
export async function renderTemplates<T>(value: T, context: Record<string, unknown>, options: EvaluateOptions = {}): Promise<T> {
  return (await renderValue(value, createScope(context, options.budget))) as T;
}

/** Syntax check of a bare expression: null when fine, else a readable message. */
export function checkExpression(expression: string): string | null {
  const compiled = compileExpression(expression);
  return compiled.ok ? null : new ExpressionError(expression, compiled.failure, true).message;
}

/**
 * Syntax check of every {{ }} in a value (deep); returns problems with a path relative to value,
 * e.g. `headers.Authorization` or `items[2]`; also reports unbalanced `{{` without `}}`.
 *
 * Keys that are not plain identifiers are written `["Content Type"]`; `basePath` (e.g.
 * `nodes[2].data`) is prefixed to every path; a problem in `value` itself has path `basePath`.
 */
export function checkTemplates(value: unknown, basePath = ''): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  walkStrings(value, basePath, (text, path) => {
    if (!hasTemplate(text)) return;
    const split = splitTemplate(text);
    for (const part of split.parts) {
      if (part.kind !== 'expression') continue;
      const message = part.source === '' ? 'Empty expression in `{{ }}`' : checkExpression(part.source);
      if (message) problems.push({ path, message });
    }
    if (split.unclosedAt !== undefined) problems.push({ path, message: unclosedMessage(split.unclosedAt) });
  });
  return problems;
}

/** A hyphenated run whose parts all start like names (`my-node`, not `x-1`). */
const LIKELY_NODE_ID = /^[\p{L}_][\p{L}\p{N}_]*(-[\p{L}_][\p{L}\p{N}_]*)+$/u;

/**
 * Names of top-level context keys referenced by an expression/template (best effort, for
 * validation warnings), e.g. `fetch` for `{{ fetch.result.x }}`.
 *
 * Strings containing `{{` are read as templates. A string without `{{` is read as a bare
 * expression only when it is `value` itself (so `referencedRoots(node.data.expression)` works);
 * nested strings are only scanned for templates. As the context is unknown here, every
 * hyphenated name run whose parts start with a letter or `_` is taken as one name (`my-node`),
 * so a typo in a hyphenated node id is reported. Names built at run time (`$eval`, `$lookup`)
 * are not found; unparsable expressions contribute nothing. Order of first appearance.
 */
export function referencedRoots(value: unknown): string[] {
  const roots = new Set<string>();
  const addExpression = (source: string) => {
    const quoted = quoteHyphenatedNames(source, (name) => LIKELY_NODE_ID.test(name));
    const compiled = compileExpression(quoted.source);
    if (compiled.ok) collectRoots(compiled.expression.ast(), roots);
  };
  if (typeof value === 'string' && !hasTemplate(value)) {
    addExpression(value);
  } else {
    walkStrings(value, '', (text) => {
      if (!hasTemplate(text)) return;
      for (const part of splitTemplate(text).parts) if (part.kind === 'expression' && part.source) addExpression(part.source);
    });
  }
  return [...roots];
}

/** What one render or evaluation call evaluates over. */
interface Scope {
  root: Record<string, unknown>;
  /** Context keys containing `-`, read as names rather than subtractions. */
  hyphenated: ReadonlySet<string>;
  budget?: EvaluationBudget;
  meter?: CopyMeter;
}

const NO_NAMES: ReadonlySet<string> = new Set();

function createScope(context: Record<string, unknown>, budget?: EvaluationBudget): Scope {
  const hyphenated = Object.keys(context).filter((key) => key.includes('-'));
  const meter = budget && meterFor(budget);
  return {
    root: createSandboxRoot(context, meter),
    hyphenated: hyphenated.length === 0 ? NO_NAMES : new Set(hyphenated),
    budget,
    meter,
  };
}

/** A copy meter that charges `budget` (its `count` is the budget's used values). */
function meterFor(budget: EvaluationBudget): CopyMeter {
  return {
    get count() {
      return budget.used.values;
    },
    set count(n: number) {
      budget.used.values = n;
    },
    max: budget.maxValues,
    over(): never {
      const message = `Evaluation would copy more than ${budget.maxValues} values of data`;
      throw Object.assign(new Error(message), { code: DATA_LIMIT });
    },
  };
}

async function evaluateIn(expression: string, scope: Scope): Promise<unknown> {
  const quoted =
    scope.hyphenated.size === 0 ? { source: expression, toOriginal: (p: number) => p } : quoteHyphenatedNames(expression, (name) => scope.hyphenated.has(name));
  const restore = (failure: ExpressionFailure): ExpressionFailure =>
    failure.position === undefined ? failure : { ...failure, position: quoted.toOriginal(failure.position) };
  const compiled = compileExpression(quoted.source);
  if (!compiled.ok) throw new ExpressionError(expression, restore(compiled.failure), true);
  try {
    return toPlainData(await evaluateWithBudget(compiled.expression, scope.root, scope.budget), scope.meter);
  } catch (error) {
    throw new ExpressionError(expression, restore(describeFailure(error)));
  }
}

/** One template string found in a value: where its rendering goes in the copy. */
interface RenderJob {
  text: string;
  assign(rendered: unknown): void;
}

// Copy synchronously and evaluate only the template strings: inside the workflow sandbox every
// promise records a stack trace, so an `await` per leaf would be paid for every plain leaf too.
async function renderValue(value: unknown, scope: Scope): Promise<unknown> {
  if (typeof value === 'string') return renderString(value, scope);
  const jobs: RenderJob[] = [];
  const copy = copyForRender(value, jobs);
  for (const job of jobs) job.assign(await renderString(job.text, scope));
  return copy;
}

/** Copies arrays and plain objects, queueing a job for every string that holds a template. */
function copyForRender(value: unknown, jobs: RenderJob[]): unknown {
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    value.forEach((item, index) => {
      if (typeof item === 'string' && hasTemplate(item)) jobs.push({ text: item, assign: (rendered) => (out[index] = rendered) });
      else out[index] = copyForRender(item, jobs);
    });
    return out;
  }
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (typeof item === 'string' && hasTemplate(item)) {
      setKey(out, key, undefined);
      jobs.push({ text: item, assign: (rendered) => setKey(out, key, rendered) });
    } else {
      setKey(out, key, copyForRender(item, jobs));
    }
  }
  return out;
}

function setKey(target: Record<string, unknown>, key: string, item: unknown): void {
  // A data key named `__proto__` must stay a key, not re-parent the copy.
  if (key === '__proto__') Object.defineProperty(target, key, { value: item, enumerable: true, writable: true, configurable: true });
  else target[key] = item;
}

async function renderString(text: string, scope: Scope): Promise<unknown> {
  if (!hasTemplate(text)) return text;
  const split = splitTemplate(text);
  if (split.unclosedAt !== undefined) {
    throw new ExpressionError(text, { message: unclosedMessage(split.unclosedAt), position: split.unclosedAt + 2 }, true);
  }
  const [first] = split.parts;
  if (split.whole && first.kind === 'expression') return evaluatePart(first.source, scope);
  let out = '';
  for (const part of split.parts) out += part.kind === 'text' ? part.text : stringify(await evaluatePart(part.source, scope));
  return out;
}

function evaluatePart(source: string, scope: Scope): Promise<unknown> {
  if (source === '') return Promise.reject(new ExpressionError('', 'Empty expression in `{{ }}`', true));
  return evaluateIn(source, scope);
}

/** How a value reads inside a larger string. */
function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(roundNumber(value));
  if (typeof value === 'object') return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'number' ? roundNumber(item) : item));
  return String(value);
}

// As JSONata's $string: hide binary floating-point noise such as 0.30000000000000004.
function roundNumber(value: number): number {
  return Number.isInteger(value) ? value : Number(value.toPrecision(15));
}

/** Calls `visit` for every string in `value` with its path. */
function walkStrings(value: unknown, path: string, visit: (text: string, path: string) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((item, index) => walkStrings(item, `${path}[${index}]`, visit));
  else if (isPlainObject(value)) for (const key of Object.keys(value)) walkStrings(value[key], joinPath(path, key), visit);
}

function joinPath(path: string, key: string): string {
  if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function unclosedMessage(offset: number): string {
  return `\`{{\` at offset ${offset} has no matching \`}}\``;
}

function abbreviate(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
