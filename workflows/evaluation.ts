import { proxyLocalActivities } from '@temporalio/workflow';
import type { CompiledNode } from '../src/shared/flow';
import { evaluateExpression, isBudgetExceeded, renderTemplates } from '../src/shared/expressions';
import type { EvaluationBudget } from '../src/shared/expression-compiler';
import { EXPRESSION_FAILURE, type SystemActivities } from '../src/shared/system-activities';
import type { GraphRunner } from './graph-runner';

/**
 * What one node's inline evaluation may spend inside the workflow (all its templates together).
 * Past it the node's expressions are evaluated isolated instead, so the figures bound the time a
 * node can hold a workflow task without limiting what users may write. Changing them changes which
 * runs take the isolated path: keep them, or gate a change with `patched()`.
 */
export const INLINE_BUDGET = Object.freeze({ maxSteps: 5_000, maxValues: 50_000 });

const { evaluateIsolated } = proxyLocalActivities<SystemActivities>({
  startToCloseTimeout: '10s',
  retry: {
    maximumAttempts: 3,
    initialInterval: '100ms',
    nonRetryableErrorTypes: [EXPRESSION_FAILURE.budget, EXPRESSION_FAILURE.error],
  },
  summary: 'evaluate expression',
});

type Op = 'expression' | 'render';

/** Evaluates one of a node's bare expressions where the node's compiled `exec.eval` says. */
export function evaluateFor(node: CompiledNode, runner: GraphRunner, expression: string): Promise<unknown> {
  return place(node, runner, 'expression', expression);
}

/** Renders `{{ }}` templates in `value` (a node's data, or part of it) where `exec.eval` says. */
export function renderFor<T>(node: CompiledNode, runner: GraphRunner, value: T): Promise<T> {
  return place(node, runner, 'render', value) as Promise<T>;
}

/**
 * The context a node's expressions see: the run's, plus `prev` (its upstream output) for nodes
 * compiled with evaluation placement — older definitions never had `prev`, so their runs replay
 * as they ran.
 */
export function contextFor(node: CompiledNode, runner: GraphRunner): Record<string, unknown> {
  if (node.exec.eval === undefined) return runner.context;
  return { ...runner.context, prev: runner.upstreamOutput(node.id) ?? null };
}

function place(node: CompiledNode, runner: GraphRunner, op: Op, value: unknown): Promise<unknown> {
  switch (node.exec.eval) {
    case undefined:
      // Compiled before evaluation placement existed: evaluate as those runs always did.
      return op === 'expression' ? evaluateExpression(String(value), runner.context) : renderTemplates(value, runner.context);
    case 'isolated':
      return isolated(node, runner, op, value, evaluationContext(node, runner));
    default:
      return inline(node, runner, op, value, evaluationContext(node, runner));
  }
}

/**
 * What a node's expressions are evaluated against: only the context names they read when the
 * compiler could tell (`exec.reads`), which gives the same results as the whole context (no
 * expression can see a name it does not read) at a cost that does not grow with the run's size.
 */
function evaluationContext(node: CompiledNode, runner: GraphRunner): Record<string, unknown> {
  const reads = node.exec.reads;
  if (!reads) return contextFor(node, runner);
  const out: Record<string, unknown> = {};
  for (const name of reads) {
    if (name === 'prev') out.prev = runner.upstreamOutput(node.id) ?? null;
    else if (Object.hasOwn(runner.context, name)) out[name] = runner.context[name];
  }
  return out;
}

async function inline(node: CompiledNode, runner: GraphRunner, op: Op, value: unknown, context: Record<string, unknown>): Promise<unknown> {
  const budget: EvaluationBudget = { ...INLINE_BUDGET, used: { steps: 0, values: 0 } };
  try {
    return op === 'expression'
      ? await evaluateExpression(String(value), context, { budget })
      : await renderTemplates(value, context, { budget });
  } catch (err) {
    if (!isBudgetExceeded(err)) throw err;
    return isolated(node, runner, op, value, context);
  } finally {
    runner.run.chargeInline(budget.used.steps + (budget.used.values >> 2));
  }
}

function isolated(_node: CompiledNode, runner: GraphRunner, op: Op, value: unknown, context: Record<string, unknown>): Promise<unknown> {
  runner.run.activityRan();
  return evaluateIsolated({ op, value, context });
}
