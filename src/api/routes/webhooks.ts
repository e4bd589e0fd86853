import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app-deps';
import { actorOf } from '../actor';
import { notFound } from '../errors';
import { requireScope } from '../middleware/authenticate';
import { webhookCreateBody, webhookPatchBody } from '../schemas/webhook-bodies';
import { isUuid, parseBody, parseQuery } from '../validate';

const pageQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** `/api/v1/webhooks`: the caller's outbound webhook subscriptions and their deliveries. */
export function createWebhookRouter({ webhooks }: AppDeps): Router {
  const r = Router();
  const read = requireScope('read');
  const write = requireScope('write');
  const hookId = (id: unknown) => {
    if (!isUuid(id)) throw notFound('webhook');
    return id;
  };

  r.post('/', write, async (req, res) => {
    res.status(201).json(await webhooks.create(actorOf(req), parseBody(webhookCreateBody, req)));
  });

  r.get('/', read, async (req, res) => {
    const q = parseQuery(pageQuery, req);
    const page = await webhooks.list(actorOf(req), q);
    res.json({ items: page.items, total: page.total, skip: q.skip, limit: q.limit });
  });

  r.get('/:id', read, async (req, res) => {
    res.json(await webhooks.get(actorOf(req), hookId(req.params.id)));
  });

  r.patch('/:id', write, async (req, res) => {
    const id = hookId(req.params.id);
    res.json(await webhooks.update(actorOf(req), id, parseBody(webhookPatchBody, req)));
  });

  r.delete('/:id', write, async (req, res) => {
    await webhooks.remove(actorOf(req), hookId(req.params.id));
    res.status(204).end();
  });

  r.get('/:id/deliveries', read, async (req, res) => {
    const id = hookId(req.params.id);
    const q = parseQuery(pageQuery, req);
    const page = await webhooks.deliveries(actorOf(req), id, q);
    res.json({ items: page.items, total: page.total, skip: q.skip, limit: q.limit });
  });

  return r;
}
