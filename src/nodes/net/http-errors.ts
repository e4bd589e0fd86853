import { NodeError } from '../node-definition';
import { redactUrl, responseText, type GuardedResponse } from './guarded-request';

/** A server cannot park a run for longer than this through `Retry-After`. */
export const MAX_RETRY_AFTER_MS = 3_600_000;
/** How much of an error response's body goes into the error's details. */
export const ERROR_BODY_EXCERPT_CHARS = 1_000;

/**
 * Whether a failed HTTP status is worth another attempt: 5xx, 429 (rate limited) and 408 (request
 * timeout) are; every other 4xx is a request that will fail the same way again.
 */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** Parses a `Retry-After` header (delay in seconds or an HTTP date) into milliseconds from `now`, capped at an hour. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}

/** Options of {@link httpStatusError}. */
export interface HttpStatusErrorOptions {
  /** Default `HTTP <status> <text>: [<method> ]<url>` (query values redacted). */
  message?: string;
  /** Default `HttpError`. */
  type?: string;
  method?: string;
  /** The body as it may be shown (e.g. with a key removed); default the response's text. */
  body?: string;
}

/**
 * The NodeError for a response with a failed status: retryable by {@link isRetryableStatus}, with
 * `Retry-After` as the next retry's delay, and status, URL and a body excerpt in `details`.
 */
export function httpStatusError(res: GuardedResponse, options: HttpStatusErrorOptions = {}): NodeError {
  const retryable = isRetryableStatus(res.status);
  const retryAfterMs = retryable ? parseRetryAfter(res.headers['retry-after']) : undefined;
  // Temporal does not retry at all when told to wait 0 ms: "now" leaves the delay to the node's policy.
  const nextRetryDelayMs = retryAfterMs ? retryAfterMs : undefined;
  const url = redactUrl(res.url);
  const message =
    options.message ??
    `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}: ${options.method ? `${options.method} ` : ''}${url}`;
  return new NodeError(message, {
    retryable,
    type: options.type ?? 'HttpError',
    nextRetryDelayMs,
    details: {
      status: res.status,
      status_text: res.statusText,
      url,
      body: (options.body ?? responseText(res)).slice(0, ERROR_BODY_EXCERPT_CHARS),
      ...(retryAfterMs !== undefined && { retry_after_ms: retryAfterMs }),
    },
  });
}
