import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app-deps';
import { actorOf } from '../actor';
import { notFound } from '../errors';
import { requireScope } from '../middleware/authenticate';
import { toolBody, toolTestBody } from '../schemas/tool-bodies';
import { isUuid, parseBody, parseQuery } from '../validate';

const pageQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** `/api/v1/tools`: the built-in tools and the caller's own HTTP tools (docs/api-tools.md). */
export function createToolRouter({ tools }: AppDeps): Router {
  const r = Router();
  const read = requireScope('read');
  const write = requireScope('write');
  const toolId = (id: unknown) => {
    if (!isUuid(id)) throw notFound('tool');
    return id;
  };

  // Before /:id, which would take "builtin" for an id.
  r.get('/builtin', read, (req, res) => {
    const q = parseQuery(pageQuery, req);
    const all = tools.builtin();
    res.json({ items: all.slice(q.skip, q.skip + q.limit), total: all.length, skip: q.skip, limit: q.limit });
  });

  r.post('/', write, async (req, res) => {
    res.status(201).json(await tools.create(actorOf(req), parseBody(toolBody, req)));
  });

  r.get('/', read, async (req, res) => {
    const q = parseQuery(pageQuery, req);
    const page = await tools.list(actorOf(req), q);
    res.json({ items: page.items, total: page.total, skip: q.skip, limit: q.limit });
  });

  r.get('/:id', read, async (req, res) => {
    res.json(await tools.get(actorOf(req), toolId(req.params.id)));
  });

  r.put('/:id', write, async (req, res) => {
    const id = toolId(req.params.id);
    res.json(await tools.update(actorOf(req), id, parseBody(toolBody, req)));
  });

  r.delete('/:id', write, async (req, res) => {
    await tools.remove(actorOf(req), toolId(req.params.id));
    res.status(204).end();
  });

  // Runs the tool, as /nodes/test runs a node: the execute scope.
  r.post('/:id/test', requireScope('execute'), async (req, res) => {
    const id = toolId(req.params.id);
    res.json(await tools.test(actorOf(req), id, parseBody(toolTestBody, req).input));
  });

  return r;
}
