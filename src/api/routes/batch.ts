import { Router, type Response } from 'express';
import type { Logger } from 'pino';
import type { AppDeps } from '../app-deps';
import { actorOf } from '../actor';
import { toApiError } from '../errors';
import { auditItems } from '../middleware/audit-trail';
import { requireScope } from '../middleware/authenticate';
import { batchExecuteBody, batchIdsBody } from '../schemas/batch-bodies';
import { parseBody } from '../validate';
import type { BatchOutcome } from '../../services/batch-service';

/** One item's result: what its single-item route would have answered, as data. */
interface ItemResult {
  index: number;
  workflow_id: string;
  status: 'success' | 'error';
  /** The status the single-item route would have answered with. */
  status_code: number;
  error?: { code: string; message: string; details?: Record<string, unknown> };
  [field: string]: unknown;
}

/**
 * `/api/v1/batch`: execute, export or delete many flows in one call (seed 004). Each item obeys
 * the rules of its single-item route (ownership, validation, backpressure) and is reported on its
 * own; a batch whose body is well-formed is answered 200 however many items failed.
 */
export function createBatchRouter({ batch, logger }: AppDeps): Router {
  const r = Router();

  r.post('/execute', requireScope('execute'), async (req, res) => {
    const body = parseBody(batchExecuteBody, req);
    const items = body.items ?? (body.workflow_ids ?? []).map((workflow_id) => ({ workflow_id, input_data: body.input_data }));
    const outcomes = await batch.execute(actorOf(req), items);
    const results = outcomes.map((o, index) =>
      itemResult(index, items[index].workflow_id, o, (v) => [v.started ? 201 : 202, { execution: v.execution }], logger),
    );
    auditItems(
      res,
      outcomes.flatMap((o, i) =>
        o.ok
          ? [{ action: 'workflow.execute', resource_type: 'workflow', resource_id: items[i].workflow_id, details: { execution_id: o.value.execution.id, batch: true } }]
          : [],
      ),
    );
    answer(res, results);
  });

  r.post('/export', requireScope('read'), async (req, res) => {
    const { workflow_ids: ids } = parseBody(batchIdsBody, req);
    const outcomes = await batch.exportFlows(actorOf(req), ids);
    answer(
      res,
      outcomes.map((o, index) => itemResult(index, ids[index], o, (v) => [200, { export: v }], logger)),
    );
  });

  r.post('/delete', requireScope('write'), async (req, res) => {
    const { workflow_ids: ids } = parseBody(batchIdsBody, req);
    const outcomes = await batch.remove(actorOf(req), ids);
    auditItems(
      res,
      outcomes.flatMap((o, i) =>
        o.ok ? [{ action: 'workflow.delete', resource_type: 'workflow', resource_id: ids[i], details: { batch: true } }] : [],
      ),
    );
    answer(
      res,
      outcomes.map((o, index) => itemResult(index, ids[index], o, () => [204, {}], logger)),
    );
  });

  return r;
}

function itemResult<T>(
  index: number,
  workflowId: string,
  outcome: BatchOutcome<T>,
  success: (value: T) => [number, Record<string, unknown>],
  logger: Logger,
): ItemResult {
  if (outcome.ok) {
    const [status_code, fields] = success(outcome.value);
    return { index, workflow_id: workflowId, status: 'success', status_code, ...fields };
  }
  const known = toApiError(outcome.error);
  if (!known) logger.error({ err: outcome.error, workflow_id: workflowId }, 'batch item failed unexpectedly');
  const status_code = known?.status ?? 500;
  const error = known
    ? { code: known.code, message: known.message, ...(known.details ? { details: known.details } : {}) }
    : { code: 'INTERNAL_ERROR', message: 'internal error' };
  return { index, workflow_id: workflowId, status: 'error', status_code, error };
}

function answer(res: Response, results: ItemResult[]): void {
  const succeeded = results.filter((r) => r.status === 'success').length;
  res.json({ results, total: results.length, succeeded, failed: results.length - succeeded });
}
