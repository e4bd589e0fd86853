import { Router } from 'express';
import { nodeCatalogue, nodeTypeInfo } from '../../nodes/registry';
import { notFound } from '../errors';
import { requireScope } from '../middleware/authenticate';

/** `/api/v1/node-types`: the catalogue generated from the node registry. */
export function createNodeTypeRouter(): Router {
  const r = Router();
  const catalogue = nodeCatalogue();
  r.get('/', requireScope('read'), (_req, res) => {
    res.json(catalogue);
  });
  r.get('/:type', requireScope('read'), (req, res) => {
    const info = nodeTypeInfo(String(req.params.type));
    if (!info) throw notFound(`node type ${String(req.params.type)}`);
    res.json(info);
  });
  return r;
}
