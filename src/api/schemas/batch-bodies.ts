/**
 * Request bodies of the batch routes (`/batch/*`), as zod schemas: the routes parse with them and
 * the OpenAPI document shows them. Ids are any short string: one that cannot be a flow's is
 * reported as that item's 404, as the single-item routes answer it, not as a failed batch.
 */
import { z } from 'zod';
import { MAX_BATCH_ITEMS } from '../../services/batch-service';

const workflowId = z.string().min(1).max(100).describe('a flow id');
const ids = z
  .array(workflowId)
  .min(1)
  .max(MAX_BATCH_ITEMS)
  .describe(`the flows, at most ${MAX_BATCH_ITEMS}; each is reported on its own, in this order`);

/** `POST /batch/export` and `POST /batch/delete`. */
export const batchIdsBody = z.object({ workflow_ids: ids }).strict();

/** `POST /batch/execute`: the same input for every flow, or one item per flow with its own. */
export const batchExecuteBody = z
  .object({
    workflow_ids: ids.optional(),
    input_data: z.unknown().optional().describe('with `workflow_ids`: the input of every run'),
    items: z
      .array(
        z
          .object({
            workflow_id: workflowId,
            input_data: z.unknown().optional(),
            version: z.number().int().min(1).max(2_147_483_647).optional().describe('the version to run (default the head)'),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_BATCH_ITEMS)
      .optional()
      .describe(`one per run, at most ${MAX_BATCH_ITEMS}, each with its own input and version`),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.workflow_ids === undefined) === (b.items === undefined)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['workflow_ids'], message: 'give either workflow_ids or items' });
    }
    if (b.items !== undefined && b.input_data !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['input_data'], message: 'with items, give each item its own input_data' });
    }
  });
