import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app-deps';
import { actorOf } from '../actor';
import { badRequest } from '../errors';
import { requireScope } from '../middleware/authenticate';
import { parseQuery } from '../validate';

const timestamp = z.string().datetime({ offset: true });

/** Filters of `GET /audit-logs` and `GET /audit-logs/stats`. */
export const auditFilterQuery = z.object({
  actor_id: z.string().uuid().optional().describe('entries made by this user'),
  action: z
    .string()
    .regex(/^[a-z_]+\.[a-z_]+$/, 'an action such as workflow.update')
    .optional()
    .describe('one action, e.g. `workflow.update` (docs/api-audit.md lists them)'),
  resource_type: z.string().regex(/^[a-z_]{1,32}$/, 'a resource type such as workflow').optional(),
  resource_id: z.string().min(1).max(255).optional(),
  since: timestamp.optional().describe('entries at or after this time'),
  until: timestamp.optional().describe('entries at or before this time'),
});

/** `GET /audit-logs`. */
export const auditListQuery = auditFilterQuery.extend({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

function filterOf(q: z.infer<typeof auditFilterQuery>) {
  if (q.since && q.until && Date.parse(q.since) > Date.parse(q.until)) throw badRequest('since must not be after until', { since: 'after until' });
  return {
    actorId: q.actor_id,
    action: q.action,
    resourceType: q.resource_type,
    resourceId: q.resource_id,
    since: q.since,
    until: q.until,
  };
}

/** `/api/v1/audit-logs`: the audit trail; a user sees their own, an admin everyone's (docs/api-audit.md). */
export function createAuditLogRouter({ audit }: AppDeps): Router {
  const r = Router();
  const read = requireScope('read');

  r.get('/', read, async (req, res) => {
    const q = parseQuery(auditListQuery, req);
    const page = await audit.list(actorOf(req), { ...filterOf(q), skip: q.skip, limit: q.limit });
    res.json({ items: page.items, total: page.total, skip: q.skip, limit: q.limit });
  });

  r.get('/stats', read, async (req, res) => {
    const q = parseQuery(auditFilterQuery, req);
    res.json(await audit.stats(actorOf(req), filterOf(q)));
  });

  return r;
}
