import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ExpressionOutcome, ExpressionRequest } from './expression-child';

/**
 * Isolated expression evaluation: expressions that may not run inside the workflow (see
 * `src/shared/expression-policy.ts`) run here, in small child processes, with a wall-clock and a
 * memory budget. A child that overruns its deadline (a native operation such as `$pad` with a huge
 * width, or a catastrophic regular expression, never returns to JSONata's step counter) is killed;
 * one that runs out of heap dies by itself. Processes rather than worker threads: V8 may end the
 * whole process when a thread's heap limit is reached mid-allocation (`$zip([1..1e7], [1..1e7])`
 * did), and the worker must survive any expression. Either way the caller gets an
 * {@link ExpressionBudgetError}, a fresh child is started at once, and the worker goes on.
 */

/** What an isolated evaluation may use, and how many run at once. */
export interface IsolatedBudget {
  /** Wall-clock time of one evaluation. */
  timeMs: number;
  /** Heap of an expression process. */
  memoryMb: number;
  /** JSONata steps (AST node visits, callbacks included). */
  maxSteps: number;
  /** Expression processes (evaluations at once). */
  processes: number;
}

/** The defaults; documented in docs/flow-format.md ("Expression budgets"). */
export const DEFAULT_ISOLATED_BUDGET: Readonly<IsolatedBudget> = Object.freeze({
  timeMs: 1_000,
  memoryMb: 128,
  maxSteps: 5_000_000,
  processes: 2,
});

let budget: IsolatedBudget = { ...DEFAULT_ISOLATED_BUDGET };

/** Time past the deadline before the child is killed (the in-child check normally fires first). */
const GRACE_MS = 250;

/** Changes the budget of later evaluations (worker start-up from the configuration; tests). */
export function configureExpressionPool(options: Partial<IsolatedBudget>): void {
  budget = { ...budget, ...options };
}

/** The budget evaluations run with now. */
export function isolatedBudget(): Readonly<IsolatedBudget> {
  return budget;
}

/** An evaluation that ran out of its time, memory or steps. */
export class ExpressionBudgetError extends Error {
  override readonly name = 'ExpressionBudgetError';
}

/** An expression that failed for a reason of its own (syntax, type error, `$error()`…). */
export class IsolatedExpressionError extends Error {
  override readonly name = 'ExpressionError';
}

/** One evaluation: a bare expression, or a value whose string leaves are templates. */
export interface IsolatedJob {
  op: 'expression' | 'render';
  value: unknown;
  context: Record<string, unknown>;
}

interface PooledChild {
  child: ChildProcess;
  busy: boolean;
}

const ENTRY = path.join(__dirname, `expression-child${path.extname(__filename)}`);

const children = new Set<PooledChild>();
const waiting: ((c: PooledChild) => void)[] = [];
let nextId = 1;

function spawn(): PooledChild {
  const fromSource = ENTRY.endsWith('.ts');
  const child = fork(ENTRY, [], {
    // Nothing in an expression needs the worker's environment (secrets included).
    env: {},
    execArgv: [
      ...(fromSource ? ['--require', require.resolve('tsx/cjs')] : []),
      `--max-old-space-size=${budget.memoryMb}`,
      '--max-semi-space-size=16',
      '--stack-size=2000',
    ],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  const pooled: PooledChild = { child, busy: false };
  child.on('exit', () => discard(pooled));
  child.on('error', () => discard(pooled));
  child.unref();
  child.channel?.unref();
  children.add(pooled);
  return pooled;
}

/** Forgets a dead or killed child and starts its replacement now, so the next job finds it warm. */
function discard(pooled: PooledChild): void {
  if (!children.delete(pooled)) return;
  if (pooled.child.exitCode === null && pooled.child.signalCode === null) pooled.child.kill('SIGKILL');
  const replacement = spawn();
  const next = waiting.shift();
  if (next) next(replacement);
}

function release(pooled: PooledChild): void {
  pooled.busy = false;
  pooled.child.unref();
  pooled.child.channel?.unref();
  const next = waiting.shift();
  if (next) next(pooled);
}

function acquire(): Promise<PooledChild> {
  const take = (c: PooledChild) => {
    c.busy = true;
    c.child.ref();
    c.child.channel?.ref();
    return c;
  };
  const idle = [...children].find((c) => !c.busy);
  if (idle) return Promise.resolve(take(idle));
  if (children.size < budget.processes) return Promise.resolve(take(spawn()));
  return new Promise((resolve) => waiting.push((c) => resolve(take(c))));
}

/** Starts the expression processes ahead of the first isolated expression (worker start-up). */
export function warmExpressionPool(): void {
  if (children.size === 0) spawn();
}

/**
 * Evaluates `job` in an expression process within the configured budget.
 * @throws ExpressionBudgetError when it runs out of time, memory or steps
 * @throws IsolatedExpressionError when the expression itself fails
 */
export async function evaluateIsolated(job: IsolatedJob): Promise<unknown> {
  const pooled = await acquire();
  const { child } = pooled;
  const id = nextId++;
  return new Promise((resolve, reject) => {
    let done = false;
    const settle = (broken: boolean) => {
      done = true;
      clearTimeout(deadline);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (broken) discard(pooled);
      else release(pooled);
    };
    const deadline = setTimeout(() => {
      settle(true);
      reject(new ExpressionBudgetError(`ran longer than ${budget.timeMs} ms`));
    }, budget.timeMs + GRACE_MS);
    const onMessage = (msg: { id: number; outcome: ExpressionOutcome }) => {
      if (msg.id !== id) return;
      settle(false);
      const { outcome } = msg;
      if (outcome.ok) resolve(outcome.value);
      else if (outcome.error.budget) reject(new ExpressionBudgetError(outcome.error.message));
      else reject(new IsolatedExpressionError(outcome.error.message));
    };
    const onExit = (code: number | null, signal: string | null) => {
      if (done) return;
      settle(true);
      reject(
        new ExpressionBudgetError(
          code === 134 || signal === 'SIGABRT' || signal === 'SIGTRAP'
            ? `used more than ${budget.memoryMb} MB`
            : `its process ended (${signal ?? `code ${code}`}), most likely out of memory`,
        ),
      );
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
    const request: ExpressionRequest = {
      id,
      op: job.op,
      value: job.value,
      context: job.context,
      deadlineMs: budget.timeMs,
      maxSteps: budget.maxSteps,
    };
    child.send(request, (err) => {
      if (!err || done) return;
      settle(true);
      reject(new IsolatedExpressionError(`the expression process could not be reached: ${err.message}`));
    });
  });
}

/** Stops every expression process (graceful shutdown, tests); none is restarted. */
export async function shutdownExpressionProcesses(): Promise<void> {
  const all = [...children];
  children.clear();
  for (const c of all) c.child.kill('SIGKILL');
}
