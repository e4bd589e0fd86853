import { Router } from 'express';
import type { AppDeps } from '../app-deps';
import { actorOf } from '../actor';
import { badRequest, notFound } from '../errors';
import { requireScope } from '../middleware/authenticate';
import { isUuid } from '../validate';

/**
 * `/api/v1/ws/…` over plain HTTP. The live event sockets are served on the server's `upgrade`
 * event (src/api/routes/events-socket.ts), which Express never sees; a GET without
 * `Upgrade: websocket` lands here, where it is checked like the upgrade would be (scope `read`,
 * 404 for a run or flow that is not the caller's) and answered 400 saying how to connect. These
 * routes put the sockets in the route table, so the OpenAPI document and the authorization
 * matrix cover them.
 */
export function createLiveSocketRouter({ repos }: AppDeps): Router {
  const r = Router();
  const read = requireScope('read');
  const connectWith = (path: string) =>
    badRequest(`this is a WebSocket endpoint: connect to ws(s)://<host>${path} with "Upgrade: websocket" (docs/api-live.md)`);

  r.get('/workflows/:id', read, async (req) => {
    const id = req.params.id;
    if (!isUuid(id) || !(await repos.flows.get(id, { ownerId: actorOf(req).ownerId }))) throw notFound('workflow');
    throw connectWith(`/api/v1/ws/workflows/${id}`);
  });

  r.get('/executions/:id', read, async (req) => {
    const id = req.params.id;
    if (!isUuid(id) || !(await repos.executions.get(id, { ownerId: actorOf(req).ownerId }))) throw notFound('execution');
    throw connectWith(`/api/v1/ws/executions/${id}`);
  });

  return r;
}
