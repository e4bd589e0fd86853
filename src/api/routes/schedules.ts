import { Router } from 'express';
import type { AppDeps } from '../app-deps';
import { actorOf } from '../actor';
import { notFound } from '../errors';
import { requireScope } from '../middleware/authenticate';
import { backfillBodySchema, scheduleListQuery } from '../schemas/schedule-bodies';
import { isUuid, parseBody, parseQuery } from '../validate';

/**
 * Flows that start themselves (docs/api-schedules.md): `GET /schedules`, and run now and backfill
 * under `/workflows/{id}/schedule/`. Mounted on `/api/v1` itself, as it serves both prefixes.
 */
export function createScheduleRouter({ schedules, runs }: AppDeps): Router {
  const r = Router();
  const flowId = (id: unknown) => {
    if (!isUuid(id)) throw notFound('workflow');
    return id;
  };

  r.get('/schedules', requireScope('read'), async (req, res) => {
    const q = parseQuery(scheduleListQuery, req);
    const page = await schedules.list(actorOf(req), q);
    res.json({ items: page.items, total: page.total, skip: q.skip, limit: q.limit });
  });

  r.post('/workflows/:id/schedule/trigger', requireScope('execute'), async (req, res) => {
    const actor = actorOf(req);
    const started = await schedules.runNow(actor, flowId(req.params.id));
    if (started.execution_id) {
      res.status(201).json(await runs.get(actor, started.execution_id));
      return;
    }
    // Started in Temporal, not reported yet (no worker is polling): it is listed once it runs.
    res.status(202).json({ workflow_id: req.params.id, status: 'pending', temporal: { workflow_id: started.temporal_workflow_id, run_id: started.temporal_run_id } });
  });

  r.post('/workflows/:id/schedule/backfill', requireScope('execute'), async (req, res) => {
    const id = flowId(req.params.id);
    const body = parseBody(backfillBodySchema, req);
    res.status(202).json(await schedules.backfill(actorOf(req), id, new Date(body.start), new Date(body.end)));
  });

  return r;
}
