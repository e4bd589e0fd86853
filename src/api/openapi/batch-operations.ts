import { batchExecuteBody, batchIdsBody } from '../schemas/batch-bodies';
import type { OperationDoc } from './operation-doc';
import { execution, json } from './schemas';
import { z } from './zod';

const itemError = z.object({ code: z.string(), message: z.string(), details: z.record(z.unknown()).optional() });
const item = (name: string, extra: Record<string, z.ZodTypeAny>) =>
  z
    .object({
      index: z.number().int().openapi({ description: "the item's position in the request" }),
      workflow_id: z.string(),
      status: z.enum(['success', 'error']),
      status_code: z.number().int().openapi({ description: 'what the single-item route would have answered' }),
      error: itemError.optional().openapi({ description: 'on error: the error body the single-item route would have sent' }),
      ...extra,
    })
    .openapi(name);
const result = (name: string, itemSchema: z.ZodTypeAny) =>
  z
    .object({ results: z.array(itemSchema), total: z.number().int(), succeeded: z.number().int(), failed: z.number().int() })
    .openapi(name);

const ids = ['7d1f5c2e-3b4a-4c6d-8e9f-0a1b2c3d4e5f', '00000000-0000-4000-8000-000000000000'];

/** `/api/v1/batch` (docs/api-batch.md). */
export const batchOperations: OperationDoc[] = [
  {
    method: 'post',
    path: '/api/v1/batch/execute',
    tag: 'batch',
    summary: 'Run many flows in one call',
    description:
      'Each item starts a run as `POST /workflows/{id}/execute` (without `wait`) does: 201 when it started, 202 when accepted while Temporal is unreachable; ' +
      'a flow that is not yours is a 404 item, an invalid input a 422 item, a run the engine cannot take now a 429 item. The call itself answers 200 however many items failed.',
    body: { schema: batchExecuteBody, example: { workflow_ids: ids, input_data: { name: 'Ada' } } },
    responses: { 200: { description: 'one result per item, in order', schema: result('BatchExecuteResult', item('BatchExecuteItem', { execution: execution.optional() })) } },
  },
  {
    method: 'post',
    path: '/api/v1/batch/export',
    tag: 'batch',
    summary: 'Export many flows in one call',
    description: 'Each item is the document `GET /workflows/{id}/export` answers (format json, head version); a flow that is not yours is a 404 item.',
    body: { schema: batchIdsBody, example: { workflow_ids: ids } },
    responses: {
      200: {
        description: 'one result per item, in order',
        schema: result('BatchExportResult', item('BatchExportItem', { export: json.optional().openapi({ description: 'the export document' }) })),
      },
    },
  },
  {
    method: 'post',
    path: '/api/v1/batch/delete',
    tag: 'batch',
    summary: 'Delete many flows in one call',
    description: 'Each item is deleted as `DELETE /workflows/{id}` does (status_code 204); a flow that is not yours, or already deleted, is a 404 item.',
    body: { schema: batchIdsBody, example: { workflow_ids: ids } },
    responses: { 200: { description: 'one result per item, in order', schema: result('BatchDeleteResult', item('BatchDeleteItem', {})) } },
  },
];
