import { ApplicationFailure } from '@temporalio/activity';
import { EXPRESSION_FAILURE, type PrepareSubFlowInput, type SystemActivities } from '../src/shared/system-activities';
import type { RunFlowInput } from '../src/shared/flow';
import { evaluateIsolated, ExpressionBudgetError } from '../src/nodes/sandbox/expression-pool';

/** Thrown by a sub-flow loader when the child flow does not exist or is not the owner's. */
export class SubFlowNotFound extends Error {
  override name = 'NotFound';
}

/** What the system activities need; wired from the run service at worker start. */
export interface SystemActivityDeps {
  /** Loads, compiles and records a child run of another flow. */
  prepareSubFlow(input: PrepareSubFlowInput): Promise<RunFlowInput>;
}

/** The interpreter's own activities. */
export function createSystemActivities(deps: SystemActivityDeps): SystemActivities {
  return {
    async prepareSubFlow(input) {
      try {
        return await deps.prepareSubFlow(input);
      } catch (err) {
        if (err instanceof SubFlowNotFound) throw ApplicationFailure.nonRetryable(err.message, 'NotFound');
        throw err;
      }
    },

    async evaluateIsolated(input) {
      try {
        return (await evaluateIsolated(input)) ?? null;
      } catch (err) {
        if (err instanceof ExpressionBudgetError) {
          throw ApplicationFailure.nonRetryable(`expression exceeded its budget: ${err.message}`, EXPRESSION_FAILURE.budget);
        }
        throw ApplicationFailure.nonRetryable((err as Error).message, EXPRESSION_FAILURE.error);
      }
    },

    async yieldActivation() {
      return null;
    },
  };
}
