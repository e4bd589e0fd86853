import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app-deps';
import { actorOf } from '../actor';
import { requireScope } from '../middleware/authenticate';
import { parseQuery } from '../validate';

const timestamp = z.string().datetime({ offset: true });

/** The window of `GET /monitoring/executions` and `/monitoring/node-types`. */
export const monitoringWindowQuery = z.object({
  since: timestamp.optional().describe('runs created at or after this time (default: 30 days before `until`)'),
  until: timestamp.optional().describe('runs created at or before this time (default: now)'),
  workflow_id: z.string().uuid().optional().describe("only this flow's runs"),
});

/**
 * `/api/v1/monitoring`: run statistics from the run index and the runs' node events (seed 004),
 * over the caller's own flows and runs (every owner's for admins).
 */
export function createMonitoringRouter({ monitoring }: AppDeps): Router {
  const r = Router();
  const read = requireScope('read');

  r.get('/overview', read, async (req, res) => {
    res.json(await monitoring.overview(actorOf(req)));
  });

  r.get('/executions', read, async (req, res) => {
    res.json(await monitoring.executions(actorOf(req), parseQuery(monitoringWindowQuery, req)));
  });

  r.get('/node-types', read, async (req, res) => {
    res.json(await monitoring.nodeTypes(actorOf(req), parseQuery(monitoringWindowQuery, req)));
  });

  return r;
}
