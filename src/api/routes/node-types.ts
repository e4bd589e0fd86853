import { Router } from 'express';
import { z } from 'zod';
import { nodeCatalogue, nodeTypeInfo } from '../../nodes/registry';
import { notFound } from '../errors';
import { requireScope } from '../middleware/authenticate';
import { parseQuery } from '../validate';

/** A page of the catalogue; by default all of it (the registry holds well under 100 types). */
const listQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(100),
});

/** `/api/v1/node-types`: the catalogue generated from the node registry. */
export function createNodeTypeRouter(): Router {
  const r = Router();
  const catalogue = nodeCatalogue();
  r.get('/', requireScope('read'), (req, res) => {
    const q = parseQuery(listQuery, req);
    const items = catalogue.slice(q.skip, q.skip + q.limit);
    // `node_types` beside `items`: the seeds' name for the list.
    res.json({ items, node_types: items, total: catalogue.length, skip: q.skip, limit: q.limit });
  });
  r.get('/:type', requireScope('read'), (req, res) => {
    const info = nodeTypeInfo(String(req.params.type));
    if (!info) throw notFound(`node type ${String(req.params.type)}`);
    res.json(info);
  });
  return r;
}
