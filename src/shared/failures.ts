/**
 * Failure types (`ApplicationFailure.type`) that the interpreter and its system activities raise
 * and that clients read. Stated once here; the workflow, the activities and the services import
 * them. Bundle-safe.
 */
export const FAILURE = {
  /** A node failed and its `on_error` is `fail`. */
  nodeFailed: 'NodeFailed',
  /** The definition that reached the worker is broken (never retried). */
  invalidDefinition: 'InvalidDefinition',
  /** A `terminate` node ended the run as failed. */
  terminated: 'FlowTerminated',
  /** Approval update rejected by its validator. */
  notWaiting: 'NotWaiting',
  notAllowed: 'NotAllowed',
  badRequest: 'BadRequest',
  /** `prepareSubFlow`: the child flow does not exist (or is not the owner's). */
  notFound: 'NotFound',
  /** `evaluateIsolated`: the expression ran out of its time, memory or steps. */
  expressionBudgetExceeded: 'ExpressionBudgetExceeded',
  /** `evaluateIsolated`: the expression failed (syntax, types, `$error()`). */
  expressionError: 'ExpressionError',
} as const;
