import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { actorOf, principalOf } from '../actor';
import { hasScope, requireScope } from '../middleware/authenticate';
import type { Principal } from '../principal';
import { parseQuery } from '../validate';
import type { Approver } from '../../services/run-service';

const listQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  workflow_id: z.string().uuid().optional(),
});

/** The caller as an approver: an admin role only counts when the credentials carry `admin`. */
export function approverOf(p: Principal): Approver {
  return {
    id: p.user.id,
    username: p.user.username,
    role: hasScope(p, 'admin') && p.user.role === 'admin' ? 'admin' : 'user',
  };
}

/** `/api/v1/approvals`: approval nodes waiting for a decision that the caller may see. */
export function createApprovalRouter({ runs }: AppDeps): Router {
  const r = Router();
  r.get('/', requireScope('read'), async (req, res) => {
    const q = parseQuery(listQuery, req);
    const page = await runs.pendingApprovals(actorOf(req), approverOf(principalOf(req)), {
      workflowId: q.workflow_id,
      skip: q.skip,
      limit: q.limit,
    });
    res.json({ items: page.items, total: page.total, skip: q.skip, limit: q.limit });
  });
  return r;
}
