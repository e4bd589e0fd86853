/**
 * Parsing JSONata expressions once: a bounded cache of compiled expressions, each with the
 * project's function overrides and a step budget installed.
 */
import { inWorkflowContext } from '@temporalio/workflow';
import jsonata from 'jsonata';
import { decodeBase64, encodeBase64 } from './base64';

/**
 * Most evaluation steps (JSONata AST node visits) one evaluation may take outside a workflow (API,
 * activities). Deterministic, unlike a wall-clock timeout (which never fires inside the workflow
 * sandbox, where time stands still): JSONata optimises tail calls, so
 * `($f := function(){ $f() }; $f())` would otherwise spin forever. Half a million steps is
 * roughly one second of work; a filter over 100,000 items takes about 400,000.
 */
export const MAX_EVALUATION_STEPS = 500_000;

/**
 * The step budget inside the workflow sandbox, where Temporal records a stack trace for every
 * promise and JSONata (async throughout) manages only some 4,000 to 15,000 steps a second: much
 * past this, the workflow task would hit Temporal's 5 s execution timeout (and be retried forever)
 * instead of failing with a clear error. A `$map` with a lambda costs about 9 steps per item.
 * Heavy data work belongs in activities.
 */
export const MAX_WORKFLOW_EVALUATION_STEPS = 10_000;

/**
 * What one evaluation may spend. `maxSteps` bounds JSONata's AST node visits (callbacks included);
 * `maxValues` bounds the values copied out of the run context into the sandbox (see
 * `sandbox-data.ts`). `used` accumulates over every evaluation that shares the budget (all the
 * templates of one node), and callers read it to account for work done in a workflow activation.
 */
export interface EvaluationBudget {
  maxSteps: number;
  maxValues: number;
  used: { steps: number; values: number };
}

/** The error code of an evaluation that ran out of its steps. */
export const STEP_LIMIT = 'STEP_LIMIT';
/** The error code of an evaluation that would copy more of the context than its budget allows. */
export const DATA_LIMIT = 'DATA_LIMIT';

/** How many compiled expressions the cache keeps (least recently used are evicted). */
export const EXPRESSION_CACHE_CAPACITY = 2_000;

/** A JSONata failure (syntax or evaluation) in plain terms. */
export interface ExpressionFailure {
  message: string;
  /** JSONata's position: the offset just past the offending token. */
  position?: number;
  /** JSONata's error code (`S0201`, `T2001`, …) when there is one. */
  code?: string;
}

/** The outcome of compiling a source text: a ready expression or why it does not parse. */
export type CompiledExpression =
  | { ok: true; expression: jsonata.Expression }
  | { ok: false; failure: ExpressionFailure };

const FRAME_PUSH_HOOK = Symbol.for('jsonata.__createFrame_push');
const cache = new Map<string, CompiledExpression>();
const stats = { hits: 0, misses: 0 };
// JSONata creates an evaluation's top frame synchronously inside `evaluate()`, so the budget of
// the call being started is handed to the frame hook through this slot (see `evaluateWithBudget`).
let pendingBudget: EvaluationBudget | undefined;

/**
 * Starts `expression.evaluate(root)` with `budget` installed as its step counter (the default
 * limit of the current context when absent).
 */
export function evaluateWithBudget(expression: jsonata.Expression, root: unknown, budget?: EvaluationBudget): Promise<unknown> {
  pendingBudget = budget;
  try {
    return expression.evaluate(root);
  } finally {
    pendingBudget = undefined;
  }
}

/** Compiles `source` (a bare JSONata expression) or returns it from the cache. */
export function compileExpression(source: string): CompiledExpression {
  const cached = cache.get(source);
  if (cached) {
    stats.hits++;
    cache.delete(source);
    cache.set(source, cached);
    return cached;
  }
  stats.misses++;
  const compiled = compile(source);
  if (cache.size >= EXPRESSION_CACHE_CAPACITY) cache.delete(cache.keys().next().value as string);
  cache.set(source, compiled);
  return compiled;
}

/** Size and hit counts of the compile cache (for tests and diagnostics). */
export function expressionCacheStats(): { size: number; capacity: number; hits: number; misses: number } {
  return { size: cache.size, capacity: EXPRESSION_CACHE_CAPACITY, ...stats };
}

/** Empties the compile cache and resets its counters. */
export function clearExpressionCache(): void {
  cache.clear();
  stats.hits = 0;
  stats.misses = 0;
}

/** Normalises whatever JSONata (or the host) threw into an {@link ExpressionFailure}. */
export function describeFailure(error: unknown): ExpressionFailure {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const { message, position, code } = error as { message?: unknown; position?: unknown; code?: unknown };
  return {
    message: typeof message === 'string' && message !== '' ? message : String(code ?? 'unknown error'),
    position: typeof position === 'number' ? position : undefined,
    code: typeof code === 'string' ? code : undefined,
  };
}

function compile(source: string): CompiledExpression {
  let expression: jsonata.Expression;
  try {
    expression = jsonata(source);
  } catch (error) {
    return { ok: false, failure: describeFailure(error) };
  }
  // JSONata's own versions reach for `Buffer`/`btoa`, which the workflow sandbox lacks.
  expression.registerFunction('base64encode', (text?: string) => (text === undefined ? undefined : encodeBase64(text)), '<s-:s>');
  expression.registerFunction('base64decode', (text?: string) => (text === undefined ? undefined : decodeBase64(text)), '<s-:s>');
  expression.assign(FRAME_PUSH_HOOK as unknown as string, installStepBudget);
  return { ok: true, expression };
}

/**
 * JSONata calls this whenever it creates a scope frame. The frame made for one `evaluate()` call
 * is the only one whose parent (the compiled expression's frame) has no `base`; on it, JSONata
 * later installs `guardrails`, which it calls synchronously before every AST node. Pinning our
 * own step counter there costs no promise per step, unlike the `__evaluate_entry` hook, which
 * matters inside the workflow sandbox, where every promise records a stack trace.
 */
function installStepBudget(parent: { base?: unknown }, frame: object): void {
  if (parent.base !== undefined) return;
  const budget = pendingBudget ?? {
    maxSteps: inWorkflowContext() ? MAX_WORKFLOW_EVALUATION_STEPS : MAX_EVALUATION_STEPS,
    maxValues: Infinity,
    used: { steps: 0, values: 0 },
  };
  const guardrails = (): void => {
    if (++budget.used.steps > budget.maxSteps) {
      const message = `Evaluation exceeded ${budget.maxSteps} steps (runaway recursion or too much data)`;
      throw Object.assign(new Error(message), { code: STEP_LIMIT });
    }
  };
  Object.defineProperty(frame, 'guardrails', { get: () => guardrails, set: () => undefined, configurable: true });
}
