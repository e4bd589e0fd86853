import { Router } from 'express';
import { z } from 'zod';
import { EXECUTION_STATUSES } from '../../shared/flow';
import type { AppDeps } from '../app-deps';
import { actorOf } from '../actor';
import { executeAndRespond, executeBodySchema } from '../execute-request';
import { notFound } from '../errors';
import { requireScope } from '../middleware/authenticate';
import { isUuid, parseBody, parseQuery } from '../validate';
import {
  flowInputSchema,
  flowPatchSchema,
  importedFlow,
  importSchema,
  nodeAddSchema,
  nodePatchSchema,
  triggerSchema,
} from '../schemas/flow-bodies';
import { flowListQuery, flowStatusFilter } from '../schemas/flow-list-query';
import { exportQuery } from '../schemas/export-query';
import type { FlowRow } from '../../storage';
import { getTemplate, listTemplates } from '../../templates';
import { typescriptExport } from '../../services/flow-export-ts';



const pageQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  status: z.enum(EXECUTION_STATUSES).optional(),
});

const templateListQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  category: z.string().max(64).optional(),
});

const optionalText = (max: number) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().min(1).max(max).optional());

const templateCreateQuery = z.object({ name: optionalText(200), description: optionalText(5000) });


const rollbackBody = z.object({ comment: z.string().max(1000).optional() });

/** A version number from the path: anything but a positive integer cannot exist (404). */
function versionParam(v: unknown): number {
  const n = typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : 0;
  if (n < 1) throw notFound('version');
  return n;
}

/** The flow as the API returns it, with what its trigger shows only once (a webhook's token). */
export function flowView(f: FlowRow & { revealed?: Record<string, unknown> }) {
  const { deleted_at: _d, revealed, ...rest } = f;
  return { ...rest, ...revealed };
}

/**
 * `/api/v1/workflows`: flow CRUD, validation, versions, import/export, templates, node edits and
 * execution. The fixed paths (`/validate`, `/templates`, `/import`) are registered before `/:id`.
 */
export function createWorkflowRouter({ flows, runs, repos, config }: AppDeps): Router {
  const r = Router();
  const read = requireScope('read');
  const write = requireScope('write');
  const execute = requireScope('execute');
  const flowId = (id: unknown) => {
    if (!isUuid(id)) throw notFound('workflow');
    return id;
  };

  r.get('/', read, async (req, res) => {
    const q = parseQuery(flowListQuery, req);
    const page = await repos.flows.list({
      ownerId: actorOf(req).ownerId,
      skip: q.skip,
      limit: q.limit,
      search: q.search,
      ...flowStatusFilter(q.status),
      sortBy: q.sort_by,
      sortOrder: q.sort_order,
    });
    res.json({ items: page.items.map((f) => flowView(f as FlowRow)), total: page.total, skip: q.skip, limit: q.limit });
  });

  r.post('/validate', read, async (req, res) => {
    const body = parseBody(
      z.object({ nodes: z.array(z.unknown()).max(5000), edges: z.array(z.unknown()).max(20000).default([]), trigger: triggerSchema.optional() }),
      req,
    );
    const { valid, errors, warnings } = await flows.validateFor(actorOf(req), body);
    res.json({ valid, errors, warnings });
  });

  r.get('/templates', read, (req, res) => {
    const q = parseQuery(templateListQuery, req);
    const all = listTemplates().filter((t) => q.category === undefined || t.category === q.category);
    const items = all.slice(q.skip, q.skip + q.limit).map(({ nodes, edges: _e, trigger: _t, ...summary }) => ({
      ...summary,
      node_count: nodes.length,
    }));
    res.json({ items, total: all.length, skip: q.skip, limit: q.limit });
  });

  r.get('/templates/:tid', read, (req, res) => {
    const t = getTemplate(String(req.params.tid));
    if (!t) throw notFound('template');
    res.json(t);
  });

  r.post('/templates/:tid/create', write, async (req, res) => {
    const q = parseQuery(templateCreateQuery, req);
    const flow = await flows.createFromTemplate(actorOf(req), String(req.params.tid), q);
    res.status(201).json(flowView(flow));
  });

  r.post('/import', write, async (req, res) => {
    const body = req.body as Record<string, unknown> | undefined;
    // A bare flow (what POST /workflows takes, or a seed's example) is accepted as well as an export document.
    const doc = body && typeof body === 'object' && !('workflow' in body) && 'nodes' in body ? { workflow: body } : body;
    req.body = doc;
    const flow = await flows.importFlow(actorOf(req), importedFlow(parseBody(importSchema, req)));
    res.status(201).json(flowView(flow));
  });

  r.post('/', write, async (req, res) => {
    const flow = await flows.create(actorOf(req), parseBody(flowInputSchema, req));
    res.status(201).json(flowView(flow));
  });

  r.get('/:id', read, async (req, res) => {
    res.json(flowView(await flows.get(actorOf(req), flowId(req.params.id))));
  });

  r.put('/:id', write, async (req, res) => {
    res.json(flowView(await flows.update(actorOf(req), flowId(req.params.id), parseBody(flowInputSchema, req))));
  });

  r.patch('/:id', write, async (req, res) => {
    res.json(flowView(await flows.update(actorOf(req), flowId(req.params.id), parseBody(flowPatchSchema, req))));
  });

  r.delete('/:id', write, async (req, res) => {
    await flows.remove(actorOf(req), flowId(req.params.id));
    res.status(204).end();
  });

  r.get('/:id/versions', read, async (req, res) => {
    const versions = await flows.listVersions(actorOf(req), flowId(req.params.id));
    res.json(versions.map((v) => ({ version: v.version, created_at: v.created_at, author_id: v.author_id, comment: v.comment })));
  });

  r.get('/:id/versions/:v', read, async (req, res) => {
    const v = await flows.getVersion(actorOf(req), flowId(req.params.id), versionParam(req.params.v));
    res.json({ version: v.version, created_at: v.created_at, author_id: v.author_id, comment: v.comment, ...v.definition });
  });

  r.post('/:id/versions/:v/rollback', write, async (req, res) => {
    const id = flowId(req.params.id);
    const version = versionParam(req.params.v);
    const body = parseBody(rollbackBody, req);
    res.json(flowView(await flows.rollback(actorOf(req), id, version, body.comment)));
  });

  r.get('/:id/export', read, async (req, res) => {
    const q = parseQuery(exportQuery, req);
    if (req.query.format === 'typescript') {
      const file = await typescriptExport(flows, actorOf(req), flowId(req.params.id), q.version, config.temporal.taskQueue);
      res.attachment(file.filename).type('application/typescript').send(file.code);
      return;
    }
    res.json(await flows.exportFlow(actorOf(req), flowId(req.params.id), q.version));
  });

  r.post('/:id/nodes', write, async (req, res) => {
    const id = flowId(req.params.id);
    const flow = await flows.addNode(actorOf(req), id, parseBody(nodeAddSchema, req));
    res.status(201).json(flowView(flow));
  });

  r.patch('/:id/nodes/:node_id', write, async (req, res) => {
    const id = flowId(req.params.id);
    res.json(flowView(await flows.updateNode(actorOf(req), id, String(req.params.node_id), parseBody(nodePatchSchema, req))));
  });

  r.delete('/:id/nodes/:node_id', write, async (req, res) => {
    res.json(flowView(await flows.removeNode(actorOf(req), flowId(req.params.id), String(req.params.node_id))));
  });

  r.post('/:id/execute', execute, async (req, res) => {
    const body = parseBody(executeBodySchema, req);
    const actor = actorOf(req);
    await executeAndRespond(runs, actor, flowId(req.params.id), body, req, res, { type: 'manual', user_id: actor.userId });
  });

  r.get('/:id/executions', read, async (req, res) => {
    const q = parseQuery(pageQuery, req);
    const actor = actorOf(req);
    const flow = await repos.flows.get(flowId(req.params.id), { ownerId: actor.ownerId, includeDeleted: true });
    if (!flow) throw notFound('workflow');
    const page = await runs.list(actor, { flowId: flow.id, status: q.status, skip: q.skip, limit: q.limit });
    res.json({ items: page.items, total: page.total, skip: q.skip, limit: q.limit });
  });

  return r;
}
