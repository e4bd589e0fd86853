import { Router } from 'express';
import { PACKAGE_VERSION } from '../../version';

/** One component's health. */
export interface ComponentHealth {
  status: 'ok' | 'error';
  latency_ms?: number;
  error?: string;
  [key: string]: unknown;
}

/** Reports the health of the database, Temporal and (when supervised) the worker process. */
export type HealthCheck = () => Promise<{ database: ComponentHealth; temporal: ComponentHealth; worker?: ComponentHealth }>;

/** `GET /health`: 200 when every component is up, 503 otherwise; `version` is the package's. */
export function createHealthRouter(check: HealthCheck): Router {
  const r = Router();
  r.get('/health', async (_req, res) => {
    const components = await check();
    const ok = Object.values(components).every((c) => c?.status === 'ok');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', version: PACKAGE_VERSION, api: { status: 'ok' }, ...components });
  });
  return r;
}
