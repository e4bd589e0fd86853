import { Router } from 'express';
import type { AppDeps } from '../app-deps';
import { actorOf } from '../actor';
import { notFound } from '../errors';
import { requireScope } from '../middleware/authenticate';
import { dataSourceCreateBody, dataSourceListQuery, dataSourceQueryBody, dataSourceUpdateBody } from '../schemas/data-source-bodies';
import { isUuid, parseBody, parseQuery } from '../validate';

/** `/api/v1/data-sources`: the caller's data sources (docs/data-sources.md). Answers never hold secrets. */
export function createDataSourceRouter({ dataSources }: AppDeps): Router {
  const r = Router();
  const read = requireScope('read');
  const write = requireScope('write');
  // Running a statement (which may write, on a writable source) or connecting out.
  const execute = requireScope('execute');
  const sourceId = (id: unknown) => {
    if (!isUuid(id)) throw notFound('data source');
    return id;
  };

  r.post('/', write, async (req, res) => {
    res.status(201).json(await dataSources.create(actorOf(req), parseBody(dataSourceCreateBody, req)));
  });

  r.get('/', read, async (req, res) => {
    const q = parseQuery(dataSourceListQuery, req);
    const page = await dataSources.list(actorOf(req), q);
    res.json({ items: page.items, total: page.total, skip: q.skip, limit: q.limit });
  });

  r.get('/:id', read, async (req, res) => {
    res.json(await dataSources.get(actorOf(req), sourceId(req.params.id)));
  });

  r.put('/:id', write, async (req, res) => {
    const id = sourceId(req.params.id);
    res.json(await dataSources.update(actorOf(req), id, parseBody(dataSourceUpdateBody, req), 'replace'));
  });

  r.patch('/:id', write, async (req, res) => {
    const id = sourceId(req.params.id);
    res.json(await dataSources.update(actorOf(req), id, parseBody(dataSourceUpdateBody, req), 'merge'));
  });

  r.delete('/:id', write, async (req, res) => {
    await dataSources.remove(actorOf(req), sourceId(req.params.id));
    res.status(204).end();
  });

  r.post('/:id/test', execute, async (req, res) => {
    res.json(await dataSources.test(actorOf(req), sourceId(req.params.id)));
  });

  r.post('/:id/query', execute, async (req, res) => {
    const id = sourceId(req.params.id);
    res.json(await dataSources.query(actorOf(req), id, parseBody(dataSourceQueryBody, req)));
  });

  return r;
}
