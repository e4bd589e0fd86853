import { Router } from 'express';
import type { AppDeps } from '../app-deps';
import { actorOf } from '../actor';
import { requireScope } from '../middleware/authenticate';
import { parseBody } from '../validate';
import { eventBodySchema } from '../schemas/event-bodies';

/** `/api/v1/events`: events that start every flow of the caller listening for their type. */
export function createEventRouter({ events }: AppDeps): Router {
  const r = Router();
  r.post('/', requireScope('execute'), async (req, res) => {
    const body = parseBody(eventBodySchema, req);
    res.status(202).json(await events.publish(actorOf(req), { type: body.type, data: body.data ?? {}, id: body.id }));
  });
  return r;
}
