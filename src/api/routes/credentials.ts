import { Router } from 'express';
import type { AppDeps } from '../app-deps';
import { actorOf } from '../actor';
import { notFound } from '../errors';
import { requireScope } from '../middleware/authenticate';
import { credentialCreateBody, credentialListQuery, credentialPatchBody } from '../schemas/credential-bodies';
import { isUuid, parseBody, parseQuery } from '../validate';

/** `/api/v1/credentials`: the caller's credential store (admins: everyone's). Answers never hold secrets. */
export function createCredentialRouter({ credentials }: AppDeps): Router {
  const r = Router();
  const read = requireScope('read');
  const write = requireScope('write');
  const credentialId = (id: unknown) => {
    if (!isUuid(id)) throw notFound('credential');
    return id;
  };

  r.post('/', write, async (req, res) => {
    res.status(201).json(await credentials.create(actorOf(req), parseBody(credentialCreateBody, req)));
  });

  r.get('/', read, async (req, res) => {
    const q = parseQuery(credentialListQuery, req);
    const page = await credentials.list(actorOf(req), q);
    res.json({ items: page.items, total: page.total, skip: q.skip, limit: q.limit });
  });

  r.get('/:id', read, async (req, res) => {
    res.json(await credentials.get(actorOf(req), credentialId(req.params.id)));
  });

  r.patch('/:id', write, async (req, res) => {
    const id = credentialId(req.params.id);
    res.json(await credentials.update(actorOf(req), id, parseBody(credentialPatchBody, req)));
  });

  r.delete('/:id', write, async (req, res) => {
    await credentials.remove(actorOf(req), credentialId(req.params.id));
    res.status(204).end();
  });

  return r;
}
