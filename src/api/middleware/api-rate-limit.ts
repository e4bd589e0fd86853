import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler } from 'express';
import type { Config } from '../../config';
import { clientIp, createRateLimiter, SlidingWindowCounter, type RateLimiter } from './rate-limit';

const counters = new WeakMap<Config, SlidingWindowCounter>();

/**
 * The counter of the API-wide limit of the API built from `config`: the REST limiter counts in it,
 * and so does the WebSocket endpoint, whose upgrade requests never pass through Express.
 */
export function apiRateCounter(config: Config): SlidingWindowCounter {
  let counter = counters.get(config);
  if (!counter) {
    counter = new SlidingWindowCounter(config.rateLimit.perMinute, 60_000);
    counters.set(config, counter);
  }
  return counter;
}

/** The bucket a request counts against: its user when it authenticated, else its client address. */
export function apiRateLimitKey(req: Request | IncomingMessage): string {
  const r = req as Request;
  return r.principal ? `user:${r.principal.user.id}` : `ip:${clientIp(r)}`;
}

/** Options of {@link createApiRateLimiter}. */
export interface ApiRateLimiterOptions {
  /** Requests per minute per principal (or per client address when anonymous). */
  perMinute: number;
  /** The API's authentication middleware; run here to learn who is calling. */
  authenticate: RequestHandler;
  /** Clock, for tests. */
  now?: () => number;
  /** Count in this shared counter ({@link apiRateCounter}) instead of a new one. */
  counter?: SlidingWindowCounter;
}

/**
 * The API-wide rate limiter: `perMinute` requests per user (all their tokens and keys together)
 * or, for requests without valid credentials, per client address. It runs before body parsing,
 * so every `/api/v1` answer — 400, 413 and 404 included — carries the `X-RateLimit-*` headers.
 *
 * It authenticates the request itself; a failure is not reported here (the route's own
 * `authenticate` reports it, or the route is public) but makes the request count against its
 * address, so made-up credentials cannot buy fresh buckets.
 */
export function createApiRateLimiter({ perMinute, authenticate, now, counter }: ApiRateLimiterOptions): RateLimiter {
  const limiter = createRateLimiter({ limit: perMinute, windowMs: 60_000, now, counter, key: apiRateLimitKey });
  const middleware: RequestHandler = (req, res, next) => {
    if (!req.headers.authorization && !req.headers['x-api-key']) return limiter(req, res, next);
    authenticate(req, res, (err?: unknown) => {
      if (err) {
        if ((err as { status?: unknown }).status !== 401) return next(err);
        res.removeHeader('WWW-Authenticate');
      }
      limiter(req, res, next);
    });
  };
  return Object.assign(middleware, { counter: limiter.counter });
}
