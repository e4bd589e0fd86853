import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app-deps';
import { actorOf } from '../actor';
import { notFound, unprocessable } from '../errors';
import { requireScope } from '../middleware/authenticate';
import { isUuid, parseBody } from '../validate';

/** Node ids are `[A-Za-z0-9_-]{1,64}`: anything else cannot be a node of a flow (404). */
const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Body of `POST /workflows/{id}/nodes/{node_id}/test`, as seed 003 writes it. */
export const storedNodeTestBody = z.object({
  /** Seed 003 names the node in the body too; when given it must be the path's. */
  node_id: z.string().max(64).optional(),
  form_values: z.record(z.unknown()).optional(),
  input_data: z.unknown().optional(),
  session_id: z.string().min(1).max(200).optional(),
  timeout_ms: z.number().int().min(100).max(300_000).optional(),
});

/**
 * `/api/v1/workflows/{id}/nodes/{node_id}/…` (seed 003): a stored node's latest input and output,
 * and running that one node as the flow defines it. Mounted beside the workflow router.
 */
export function createWorkflowNodeRouter({ runs }: AppDeps): Router {
  const r = Router();
  const params = (p: Record<string, unknown>) => {
    if (!isUuid(p.id)) throw notFound('workflow');
    const nodeId = String(p.node_id);
    if (!NODE_ID.test(nodeId)) throw notFound('node');
    return { flowId: p.id, nodeId };
  };

  r.get('/:id/nodes/:node_id/input', requireScope('read'), async (req, res) => {
    const { flowId, nodeId } = params(req.params);
    res.json(await runs.flowNodes.input(actorOf(req), flowId, nodeId));
  });

  r.get('/:id/nodes/:node_id/output', requireScope('read'), async (req, res) => {
    const { flowId, nodeId } = params(req.params);
    res.json(await runs.flowNodes.output(actorOf(req), flowId, nodeId));
  });

  r.post('/:id/nodes/:node_id/test', requireScope('execute'), async (req, res) => {
    const { flowId, nodeId } = params(req.params);
    const body = parseBody(storedNodeTestBody, req);
    if (body.node_id !== undefined && body.node_id !== nodeId) {
      throw unprocessable('request body is invalid', { node_id: `names another node than the path ("${nodeId}")` });
    }
    res.json(await runs.flowNodes.test(actorOf(req), flowId, nodeId, body));
  });

  return r;
}
