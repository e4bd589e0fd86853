import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app-deps';
import { actorOf } from '../actor';
import { requireScope } from '../middleware/authenticate';
import { parseBody } from '../validate';

const testBody = z.object({
  type: z.string().min(1).max(100),
  data: z.record(z.unknown()).default({}),
  input: z.unknown().optional(),
  timeout_ms: z.number().int().min(100).max(300_000).optional(),
});

/** `/api/v1/nodes`: debugging helpers for single nodes. */
export function createNodeRouter({ runs }: AppDeps): Router {
  const r = Router();
  r.post('/test', requireScope('execute'), async (req, res) => {
    res.json(await runs.testNode(actorOf(req), parseBody(testBody, req)));
  });
  return r;
}
