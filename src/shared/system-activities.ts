import { FAILURE } from './failures';
import type { RunFlowInput } from './flow';

/** Input of the `prepareSubFlow` system activity. */
export interface PrepareSubFlowInput {
  parent_execution_id: string;
  owner_id: string;
  /** The child flow's id. */
  workflow_id: string;
  /** Pinned version; the flow's head version when absent. */
  version?: number;
  input: unknown;
}

/** Input of the `evaluateIsolated` local activity: one expression, or a value to render. */
export interface IsolatedEvaluationInput {
  op: 'expression' | 'render';
  /** A bare expression (`expression`) or any JSON whose strings may hold `{{ }}` (`render`). */
  value: unknown;
  /** The part of the run context the evaluation reads. */
  context: Record<string, unknown>;
}

/** Failure types of `evaluateIsolated` (both non-retryable). */
export const EXPRESSION_FAILURE = {
  /** The expression ran out of its time, memory or steps. */
  budget: FAILURE.expressionBudgetExceeded,
  /** The expression failed (syntax, types, `$error()`). */
  error: FAILURE.expressionError,
} as const;

/**
 * Activities the interpreter itself uses (not node types). Types only: the worker implements
 * them in `activities/system.ts`.
 */
export interface SystemActivities {
  /** Loads and compiles another stored flow of the same owner and records the child execution. */
  prepareSubFlow(input: PrepareSubFlowInput): Promise<RunFlowInput>;
  /** Evaluates an expression outside the workflow, within the isolated budget (a local activity). */
  evaluateIsolated(input: IsolatedEvaluationInput): Promise<unknown>;
  /** Does nothing: a local activity that ends the current workflow activation (pacing). */
  yieldActivation(): Promise<null>;
}
