import { timingSafeEqual } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import type { Metrics } from '../../services/metrics';
import { requireScope } from '../middleware/authenticate';

/** Records every request's latency under its route pattern (`/api/v1/workflows/:id`), not its path. */
export function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.observeRequest(req.method, route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `GET /metrics`: Prometheus text. Scraped with `Authorization: Bearer <METRICS_TOKEN>` when that
 * is configured, or with an admin's credentials (JWT or API key with the `admin` scope): the
 * metrics name every owner's flows, so they are not public.
 */
export function createMetricsRouter(metrics: Metrics, authenticate: RequestHandler, metricsToken: string | undefined): Router {
  const r = Router();
  const answer: RequestHandler = async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  };
  r.get(
    '/metrics',
    (req, res, next) => {
      const bearer = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
      if (metricsToken && bearer && sameToken(bearer, metricsToken)) return void answer(req, res, next);
      next();
    },
    authenticate,
    requireScope('admin'),
    answer,
  );
  return r;
}
