import type { RequestHandler } from 'express';
import { clientIp, createRateLimiter, type RateLimiter } from './rate-limit';

/** Options of {@link createApiRateLimiter}. */
export interface ApiRateLimiterOptions {
  /** Requests per minute per principal (or per client address when anonymous). */
  perMinute: number;
  /** The API's authentication middleware; run here to learn who is calling. */
  authenticate: RequestHandler;
  /** Clock, for tests. */
  now?: () => number;
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
export function createApiRateLimiter({ perMinute, authenticate, now }: ApiRateLimiterOptions): RateLimiter {
  const limiter = createRateLimiter({
    limit: perMinute,
    windowMs: 60_000,
    now,
    key: (req) => (req.principal ? `user:${req.principal.user.id}` : `ip:${clientIp(req)}`),
  });
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
