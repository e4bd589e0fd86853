import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { actorOf, principalOf } from '../actor';
import { notFound } from '../errors';
import { requireScope } from '../middleware/authenticate';
import { isUuid, parseBody, parseQuery } from '../validate';

const STATUSES = ['pending', 'running', 'paused', 'waiting', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out'] as const;

const listQuery = z.object({
  skip: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  workflow_id: z.string().uuid().optional(),
  status: z.enum(STATUSES).optional(),
  search: z.string().max(200).optional(),
  since: z.string().datetime({ offset: true }).optional(),
  until: z.string().datetime({ offset: true }).optional(),
});

const logQuery = z.object({
  skip: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
  node_id: z.string().max(64).optional(),
});

/** `/api/v1/executions`: runs, their steps, control, events, approvals and logs. */
export function createExecutionRouter({ runs, repos }: AppDeps): Router {
  const r = Router();
  const read = requireScope('read');
  const execute = requireScope('execute');
  const approve = requireScope('approve');
  const runId = (id: unknown) => {
    if (!isUuid(id)) throw notFound('execution');
    return id;
  };

  r.post('/', execute, async (req, res) => {
    const body = parseBody(
      z.object({ workflow_id: z.string().uuid(), input_data: z.unknown().optional(), version: z.number().int().min(1).optional() }),
      req,
    );
    const actor = actorOf(req);
    const key = req.get('Idempotency-Key');
    const { execution, created } = await runs.execute(actor, body.workflow_id, {
      input_data: body.input_data,
      version: body.version,
      idempotency_key: key && key.length <= 200 ? key : undefined,
      trigger: { type: 'api', user_id: actor.userId },
    });
    res.status(created ? 201 : 200).json(execution);
  });

  r.get('/', read, async (req, res) => {
    const q = parseQuery(listQuery, req);
    const page = await repos.executions.list({
      ownerId: actorOf(req).ownerId,
      flowId: q.workflow_id,
      status: q.status,
      search: q.search,
      since: q.since,
      until: q.until,
      skip: q.skip,
      limit: q.limit,
    });
    const items = await Promise.all(page.items.map(async (row) => runs.view((await runs.reconcile(row)).row)));
    res.json({ items, total: page.total, skip: q.skip, limit: q.limit });
  });

  r.get('/:id', read, async (req, res) => {
    res.json(await runs.get(actorOf(req), runId(req.params.id)));
  });

  r.get('/:id/status', read, async (req, res) => {
    res.json(await runs.status(actorOf(req), runId(req.params.id)));
  });

  for (const action of ['pause', 'resume', 'cancel', 'terminate'] as const) {
    r.post(`/:id/${action}`, execute, async (req, res) => {
      res.json(await runs.control(actorOf(req), runId(req.params.id), action));
    });
  }

  r.post('/:id/events', execute, async (req, res) => {
    const body = parseBody(z.object({ name: z.string().min(1).max(200), data: z.unknown().optional() }), req);
    await runs.deliverEvent(actorOf(req), runId(req.params.id), { name: body.name, data: body.data ?? null });
    res.status(202).json({ delivered: true });
  });

  r.post('/:id/approvals/:node_id', approve, async (req, res) => {
    const body = parseBody(z.object({ decision: z.enum(['approve', 'reject']), comment: z.string().max(5000).optional() }), req);
    const p = principalOf(req);
    const result = await runs.decide(actorOf(req), runId(req.params.id), String(req.params.node_id), body, {
      id: p.user.id,
      username: p.user.username,
      role: p.scopes.includes('admin') ? p.user.role : 'user',
    });
    res.json(result);
  });

  r.get('/:id/logs', read, async (req, res) => {
    const q = parseQuery(logQuery, req);
    const row = await repos.executions.get(runId(req.params.id), { ownerId: actorOf(req).ownerId });
    if (!row) throw notFound('execution');
    const page = await repos.logs.list(row.id, { level: q.level, nodeId: q.node_id, skip: q.skip, limit: q.limit });
    res.json({ logs: page.items, total: page.total, skip: q.skip, limit: q.limit });
  });

  r.get('/:id/logs/summary', read, async (req, res) => {
    const row = await repos.executions.get(runId(req.params.id), { ownerId: actorOf(req).ownerId });
    if (!row) throw notFound('execution');
    res.json(await repos.logs.summary(row.id));
  });

  return r;
}
