import { ApplicationFailure } from '@temporalio/activity';
import { EXPRESSION_FAILURE, type PrepareSubFlowInput, type SystemActivities } from '../src/shared/system-activities';
import type { RunFlowInput } from '../src/shared/flow';
import { evaluateIsolated, ExpressionBudgetError } from '../src/nodes/sandbox/expression-pool';
import { Invalid, NotFound } from '../src/shared/errors';
import { FAILURE } from '../src/shared/failures';

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
        if (err instanceof NotFound) throw ApplicationFailure.nonRetryable(err.message, FAILURE.notFound);
        if (err instanceof Invalid) {
          const details = Object.entries(err.details ?? {}).map(([path, problem]) => `${path}: ${String(problem)}`);
          throw ApplicationFailure.nonRetryable(`${err.message}${details.length ? ` (${details.join('; ')})` : ''}`, FAILURE.invalidDefinition);
        }
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
