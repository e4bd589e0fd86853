import { SlidingWindowCounter } from '../middleware/rate-limit';

/** Failed logins allowed per account, from all addresses together, within {@link LOGIN_FAILURE_WINDOW_MS}. */
export const MAX_LOGIN_FAILURES = 5;
/** Failed logins allowed per client address, whatever the account, within {@link LOGIN_FAILURE_WINDOW_MS}. */
export const MAX_ADDRESS_LOGIN_FAILURES = 20;
/** The window failed logins are counted over. */
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60_000;

/**
 * Counts failed logins per account and per client address; an attempt is blocked while either
 * budget is spent.
 *
 * `account` is whatever identifies the account the login name resolved to (its user id), so every
 * spelling of one account — username, email, any letter case — shares one budget. A name that
 * resolves to no account is its own "account" (lower-cased), so unknown names are throttled
 * exactly like known ones and the answers do not tell which names exist.
 */
export interface LoginThrottle {
  /** Milliseconds until any attempt from `ip` is allowed, or 0 when it is now (checked before resolving the name). */
  addressRetryAfterMs(ip: string): number;
  /** Milliseconds until an attempt for `account` from `ip` is allowed, or 0 when it is now. */
  retryAfterMs(account: string, ip: string): number;
  recordFailure(account: string, ip: string): void;
  /**
   * A successful login clears the account's failures. The address's are kept: otherwise an
   * attacker could reset their budget by logging in to an account of their own.
   */
  recordSuccess(account: string): void;
}

/** Options of {@link createLoginThrottle}. */
export interface LoginThrottleOptions {
  maxFailures?: number;
  maxAddressFailures?: number;
  windowMs?: number;
  now?: () => number;
}

/** The throttle key of a login name that resolved to no account. */
export function unknownAccountKey(login: string): string {
  return `name:${login.trim().toLowerCase()}`;
}

/** In-memory login throttle (per process). */
export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const windowMs = options.windowMs ?? LOGIN_FAILURE_WINDOW_MS;
  const accounts = new SlidingWindowCounter(options.maxFailures ?? MAX_LOGIN_FAILURES, windowMs, options.now);
  const addresses = new SlidingWindowCounter(
    options.maxAddressFailures ?? MAX_ADDRESS_LOGIN_FAILURES,
    windowMs,
    options.now,
  );
  return {
    addressRetryAfterMs: (ip) => addresses.peek(ip).retryAfterMs,
    retryAfterMs: (account, ip) =>
      Math.max(accounts.peek(account).retryAfterMs, addresses.peek(ip).retryAfterMs),
    recordFailure(account, ip) {
      accounts.hit(account);
      addresses.hit(ip);
    },
    recordSuccess: (account) => accounts.reset(account),
  };
}
