import type { Request, RequestHandler, Response } from 'express';
import { ApiError } from '../errors';

/** What a {@link SlidingWindowCounter} says about one key at one moment. */
export interface WindowState {
  allowed: boolean;
  limit: number;
  /** Further hits allowed right now. */
  remaining: number;
  /** Epoch milliseconds when the current fixed window ends. */
  resetAtMs: number;
  /** Milliseconds until a hit would be allowed again (0 when allowed). */
  retryAfterMs: number;
}

/**
 * Sliding-window counter over two aligned fixed windows: a key's usage is its count in the current
 * window plus its count in the previous one weighted by how much of that window still overlaps
 * the last `windowMs`. O(1) per hit; when a window ends the older map is dropped whole, so expired
 * buckets never need a sweep and memory holds at most two windows' worth of keys.
 */
export class SlidingWindowCounter {
  private current = new Map<string, number>();
  private previous = new Map<string, number>();
  private windowStart: number;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limit >= 1) || !(windowMs >= 1)) throw new RangeError('limit and windowMs must be at least 1');
    this.windowStart = this.alignedStart(now());
  }

  /** Counts a hit for `key` when it is allowed; a refused hit is not counted. */
  hit(key: string): WindowState {
    return this.evaluate(key, true);
  }

  /** The state of `key` without counting anything. */
  peek(key: string): WindowState {
    return this.evaluate(key, false);
  }

  /** Forgets `key` (e.g. after a successful login). */
  reset(key: string): void {
    this.current.delete(key);
    this.previous.delete(key);
  }

  /** Keys currently held (both windows). */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  private alignedStart(t: number): number {
    return Math.floor(t / this.windowMs) * this.windowMs;
  }

  private roll(t: number): void {
    const start = this.alignedStart(t);
    if (start === this.windowStart) return;
    this.previous = start - this.windowStart === this.windowMs ? this.current : new Map();
    this.current = new Map();
    this.windowStart = start;
  }

  private evaluate(key: string, count: boolean): WindowState {
    const t = this.now();
    this.roll(t);
    const { limit, windowMs } = this;
    const elapsed = t - this.windowStart;
    const prev = this.previous.get(key) ?? 0;
    let curr = this.current.get(key) ?? 0;
    let used = (prev * (windowMs - elapsed)) / windowMs + curr;
    const allowed = used + 1 <= limit;
    if (allowed && count) {
      curr += 1;
      used += 1;
      this.current.set(key, curr);
    }
    const resetAtMs = this.windowStart + windowMs;
    let retryAfterMs = 0;
    if (!allowed) {
      if (curr + 1 <= limit) {
        // Only the previous window's weight is in the way: wait until it has decayed enough.
        retryAfterMs = windowMs * (1 - (limit - 1 - curr) / prev) - elapsed;
      } else {
        // This window is full: it becomes the weighted previous window, which must decay too.
        retryAfterMs = resetAtMs - t + windowMs * (1 - (limit - 1) / curr);
      }
      retryAfterMs = Math.max(1, Math.ceil(retryAfterMs));
    }
    return { allowed, limit, remaining: Math.max(0, Math.floor(limit - used)), resetAtMs, retryAfterMs };
  }
}

/** Sets `Retry-After` on `res` and returns the 429 `RATE_LIMITED` error to pass to `next`/throw. */
export function rateLimited(res: Response, retryAfterMs: number, message = 'too many requests'): ApiError {
  const retryAfterS = Math.max(1, Math.ceil(retryAfterMs / 1000));
  res.setHeader('Retry-After', String(retryAfterS));
  return new ApiError(429, 'RATE_LIMITED', `${message}; retry in ${retryAfterS} s`, {
    retry_after_s: retryAfterS,
  });
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Requests allowed per key within any `windowMs`. */
  limit: number;
  windowMs: number;
  /** The bucket a request counts against (client IP, user id…). */
  key(req: Request): string;
  /** Message of the 429 body. */
  message?: string;
  /** Clock, for tests. */
  now?: () => number;
  /** Count in this counter (its limit and window win) instead of a new one, to share budgets with another entry point. */
  counter?: SlidingWindowCounter;
}

/** A rate-limiting middleware; `counter` exposes its state (tests, resets). */
export type RateLimiter = RequestHandler & { counter: SlidingWindowCounter };

/**
 * In-memory sliding-window rate limiter (per process). Every response gets `X-RateLimit-Limit`,
 * `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds when the current window ends);
 * a request over the limit gets 429 `RATE_LIMITED` with `Retry-After` (seconds).
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const counter = options.counter ?? new SlidingWindowCounter(options.limit, options.windowMs, options.now);
  const limitHeader = String(counter.limit);
  const middleware: RequestHandler = (req, res, next) => {
    const state = counter.hit(options.key(req));
    res.setHeader('X-RateLimit-Limit', limitHeader);
    res.setHeader('X-RateLimit-Remaining', String(state.remaining));
    res.setHeader('X-RateLimit-Reset', String(Math.ceil(state.resetAtMs / 1000)));
    if (state.allowed) return next();
    next(rateLimited(res, state.retryAfterMs, options.message));
  };
  return Object.assign(middleware, { counter });
}

/** The client address a per-IP limiter keys on (Express's `req.ip`, which honours `trust proxy`). */
export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
