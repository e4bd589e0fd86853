import { Router } from 'express';
import { z } from 'zod';
import { EXECUTION_STATUSES, STEP_STATUSES } from '../../shared/flow';
import type { AppDeps } from '../app-deps';
import { executeAndRespond, executeBodySchema } from '../execute-request';
import { actorOf, principalOf } from '../actor';
import { approverOf } from '../approver';
import { notFound } from '../errors';
import { requireScope } from '../middleware/authenticate';
import { isUuid, parseBody, parseQuery } from '../validate';
import { createEventStreamHandler } from './events-stream';
import { liveConnectionLimit } from '../live-connection-limit';

const listQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  workflow_id: z.string().uuid().optional(),
  status: z.enum(EXECUTION_STATUSES).optional(),
  search: z.string().max(200).optional(),
  since: z.string().datetime({ offset: true }).optional(),
  until: z.string().datetime({ offset: true }).optional(),
});

const logQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
  node_id: z.string().max(64).optional(),
  item_index: z.coerce.number().int().min(0).max(1_000_000_000).optional(),
  loop_node_id: z.string().max(64).optional(),
});

const itemStepQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(100),
  loop_node_id: z.string().max(64).optional(),
  item_index: z.coerce.number().int().min(0).max(1_000_000_000).optional(),
  node_id: z.string().max(64).optional(),
  status: z.enum(STEP_STATUSES).optional(),
});

const executeBody = executeBodySchema.extend({ workflow_id: z.string().uuid() });

const retryBody = z
  .object({
    from_node: z.string().min(1).max(64).optional(),
    use_latest_version: z.boolean().default(false),
  })
  .strict();

const eventBody = z.object({ name: z.string().min(1).max(200), data: z.unknown().optional() });
/** Decisions in either tense (`approved` as the seeds write it); the service gets `approve`/`reject`. */
const decisionBody = z.object({
  decision: z.enum(['approve', 'approved', 'reject', 'rejected']).transform((d) => (d.startsWith('approve') ? 'approve' : 'reject')),
  comment: z.string().max(5000).optional(),
});

/** `/api/v1/executions`: runs, their steps, control, retry, events, approvals, logs and live events. */
export function createExecutionRouter({ config, runs, logger }: AppDeps): Router {
  const r = Router();
  const read = requireScope('read');
  const execute = requireScope('execute');
  const approve = requireScope('approve');
  const runId = (id: unknown) => {
    if (!isUuid(id)) throw notFound('execution');
    return id;
  };

  r.post('/', execute, async (req, res) => {
    const body = parseBody(executeBody, req);
    const actor = actorOf(req);
    await executeAndRespond(runs, actor, body.workflow_id, body, req, res, { type: 'api', user_id: actor.userId });
  });

  r.get('/', read, async (req, res) => {
    const q = parseQuery(listQuery, req);
    const page = await runs.list(actorOf(req), {
      flowId: q.workflow_id,
      status: q.status,
      search: q.search,
      since: q.since,
      until: q.until,
      skip: q.skip,
      limit: q.limit,
    });
    res.json({ items: page.items, total: page.total, skip: q.skip, limit: q.limit });
  });

  r.get('/:id', read, async (req, res) => {
    res.json(await runs.get(actorOf(req), runId(req.params.id)));
  });

  r.get('/:id/item-steps', read, async (req, res) => {
    const q = parseQuery(itemStepQuery, req);
    res.json(
      await runs.itemSteps(actorOf(req), runId(req.params.id), {
        loopNodeId: q.loop_node_id,
        itemIndex: q.item_index,
        nodeId: q.node_id,
        status: q.status,
        skip: q.skip,
        limit: q.limit,
      }),
    );
  });

  r.get('/:id/status', read, async (req, res) => {
    res.json(await runs.status(actorOf(req), runId(req.params.id)));
  });

  for (const action of ['pause', 'resume', 'cancel', 'terminate'] as const) {
    r.post(`/:id/${action}`, execute, async (req, res) => {
      res.json(await runs.control(actorOf(req), runId(req.params.id), action));
    });
  }

  r.post('/:id/retry', execute, async (req, res) => {
    const body = parseBody(retryBody, req);
    res.status(201).json(await runs.retry(actorOf(req), runId(req.params.id), body));
  });

  r.post('/:id/events', execute, async (req, res) => {
    const body = parseBody(eventBody, req);
    await runs.deliverEvent(actorOf(req), runId(req.params.id), { name: body.name, data: body.data ?? null });
    res.status(202).json({ delivered: true });
  });

  r.get('/:id/events/stream', read, createEventStreamHandler(runs, runId, logger, liveConnectionLimit(config)));

  r.post('/:id/approvals/:node_id', approve, async (req, res) => {
    const body = parseBody(decisionBody, req);
    const result = await runs.decide(
      actorOf(req),
      runId(req.params.id),
      String(req.params.node_id),
      body,
      approverOf(principalOf(req)),
    );
    res.json(result);
  });

  r.get('/:id/logs', read, async (req, res) => {
    const q = parseQuery(logQuery, req);
    const page = await runs.logs(actorOf(req), runId(req.params.id), {
      level: q.level,
      nodeId: q.node_id,
      itemIndex: q.item_index,
      loopNodeId: q.loop_node_id,
      skip: q.skip,
      limit: q.limit,
    });
    const logs = page.items.map((l) => ({
      id: l.id,
      node_id: l.node_id,
      node_type: l.node_type,
      level: l.level,
      message: l.message,
      timestamp: l.timestamp,
      duration_ms: l.duration_ms,
      data: l.data,
      scope: l.scope,
      loop_node_id: l.loop_node_id,
      item_index: l.item_index,
    }));
    // `logs` beside `items`: the seeds name the list `logs`, every other list calls it `items`.
    res.json({ items: logs, logs, total: page.total, skip: q.skip, limit: q.limit });
  });

  r.get('/:id/logs/summary', read, async (req, res) => {
    res.json(await runs.logSummary(actorOf(req), runId(req.params.id)));
  });

  return r;
}
