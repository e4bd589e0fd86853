import { evaluateExpression, ExpressionError, renderTemplates } from '../../shared/expressions';
import { STEP_LIMIT } from '../../shared/expression-compiler';

/**
 * Entry of an expression child process: evaluates the isolated expressions the pool sends over
 * IPC, one at a time. The pool kills the process when one runs past its deadline, and V8 ends it
 * when it runs out of its heap; this side stops a pure-JSONata loop itself when the deadline
 * passes, so the process survives the common case.
 */

/** An evaluation as the pool posts it. */
export interface ExpressionRequest {
  id: number;
  op: 'expression' | 'render';
  value: unknown;
  context: Record<string, unknown>;
  deadlineMs: number;
  maxSteps: number;
}

/** How an evaluation ended; plain data so it can cross the thread boundary. */
export type ExpressionOutcome =
  | { ok: true; value: unknown }
  | { ok: false; error: { message: string; budget: boolean; code?: string } };

process.on('message', async (req: ExpressionRequest) => {
  const deadline = Date.now() + req.deadlineMs;
  const budget = {
    maxSteps: req.maxSteps,
    maxValues: Infinity,
    used: { steps: 0, values: 0 },
  };
  // Checked by the step counter: a clock read every 1,024 steps costs nothing measurable.
  const guarded = new Proxy(budget, {
    get(target, key) {
      if (key === 'maxSteps' && (target.used.steps & 1023) === 0 && Date.now() > deadline) {
        throw Object.assign(new Error(`ran longer than ${req.deadlineMs} ms`), { code: 'TIME_LIMIT' });
      }
      return target[key as keyof typeof target];
    },
  });
  let outcome: ExpressionOutcome;
  try {
    const value =
      req.op === 'expression'
        ? await evaluateExpression(String(req.value), req.context, { budget: guarded })
        : await renderTemplates(req.value, req.context, { budget: guarded });
    outcome = { ok: true, value };
  } catch (err) {
    const code = err instanceof ExpressionError ? err.code : undefined;
    const message = err instanceof Error ? err.message : String(err);
    if (code === 'TIME_LIMIT' || code === STEP_LIMIT) {
      const where = err instanceof ExpressionError ? ` in \`${abbreviate(err.expression)}\`` : '';
      outcome = { ok: false, error: { message: `${(err as ExpressionError).reason}${where}`, budget: true, code } };
    } else {
      // V8 refuses strings and arrays past its own limits: the expression tried to build one.
      const budget = /Invalid string length|Invalid array length/.test(message);
      outcome = { ok: false, error: { message: budget ? `built a value too large (${message})` : message, budget, code } };
    }
  }
  process.send?.({ id: req.id, outcome });
});

function abbreviate(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

// The pool going away (a killed worker) ends this process too.
process.on('disconnect', () => process.exit(0));
