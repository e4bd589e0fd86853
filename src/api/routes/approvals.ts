import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app-deps';
import { actorOf, principalOf } from '../actor';
import { approverOf } from '../approver';
import { requireScope } from '../middleware/authenticate';
import { parseQuery } from '../validate';

const listQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  workflow_id: z.string().uuid().optional(),
});

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
