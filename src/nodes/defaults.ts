import { type RetrySpec } from '../shared/flow';

/** Start-to-close timeout of an activity node whose type and node set none. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Retry policy of an activity node whose type and node set none. */
export const DEFAULT_RETRY: Readonly<Required<RetrySpec>> = Object.freeze({
  max_attempts: 3,
  initial_interval_ms: 1_000,
  backoff_coefficient: 2,
  max_interval_ms: 30_000,
});

/**
 * Heartbeat timeout of node types that call out over the network (http-request, tool-call,
 * email-send): the wrapper heartbeats every second, so a worker that dies mid-call is noticed
 * after this long, not after the whole node timeout, and the call is retried on another worker.
 */
export const NETWORK_HEARTBEAT_TIMEOUT_MS = 10_000;
