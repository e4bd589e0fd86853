import { ApplicationFailure, ActivityFailure, ChildWorkflowFailure, TemporalFailure } from '@temporalio/workflow';

export { FAILURE } from '../src/shared/failures';

/** A readable error of one node. */
export interface NodeErrorInfo {
  message: string;
  type?: string;
  details?: unknown;
}

/**
 * Turns whatever a node threw into a readable error: activity failures are unwrapped to the
 * node's own message (the ApplicationFailure raised by the activity).
 */
export function describeError(err: unknown): NodeErrorInfo {
  let e: unknown = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) {
    const details = e.details && e.details.length ? e.details[0] : undefined;
    return { message: e.message, type: e.type ?? undefined, ...(details !== undefined ? { details } : {}) };
  }
  if (e instanceof TemporalFailure) return { message: e.message, type: e.name };
  if (e instanceof Error) return { message: e.message, type: e.name };
  return { message: String(e) };
}

/** A non-retryable failure of the whole run. */
export function runFailure(message: string, type: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true, details: details === undefined ? [] : [details] });
}
