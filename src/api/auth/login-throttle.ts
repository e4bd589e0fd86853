import { SlidingWindowCounter } from '../middleware/rate-limit';

/** Failed logins allowed per username and client address within {@link LOGIN_FAILURE_WINDOW_MS}. */
export const MAX_LOGIN_FAILURES = 5;
/** The window failed logins are counted over. */
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60_000;

/** Counts failed logins per (username, client address) and blocks further attempts after too many. */
export interface LoginThrottle {
  /** Milliseconds the pair must wait before trying again, or 0 when an attempt is allowed. */
  retryAfterMs(login: string, ip: string): number;
  recordFailure(login: string, ip: string): void;
  /** A successful login clears the pair's failures. */
  recordSuccess(login: string, ip: string): void;
}

/** Options of {@link createLoginThrottle}. */
export interface LoginThrottleOptions {
  maxFailures?: number;
  windowMs?: number;
  now?: () => number;
}

/**
 * In-memory login throttle (per process). Keyed by the login name (case-insensitive) and client
 * address, so one attacker cannot lock a user out from everywhere; the per-IP login limiter
 * bounds guessing across many names.
 */
export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const counter = new SlidingWindowCounter(
    options.maxFailures ?? MAX_LOGIN_FAILURES,
    options.windowMs ?? LOGIN_FAILURE_WINDOW_MS,
    options.now,
  );
  const key = (login: string, ip: string) => `${login.toLowerCase()}\u0000${ip}`;
  return {
    retryAfterMs: (login, ip) => counter.peek(key(login, ip)).retryAfterMs,
    recordFailure: (login, ip) => void counter.hit(key(login, ip)),
    recordSuccess: (login, ip) => counter.reset(key(login, ip)),
  };
}
