/**
 * Request bodies of the flow routes (`/workflows`, import, node edits), as zod schemas: the routes
 * parse with them and the OpenAPI document shows them. The flow service takes the parsed values.
 */
import { z } from 'zod';
import { EXPORT_FORMAT_VERSION } from '../../services/flow-service';
import { issuesToDetails } from '../../shared/zod-issues';
import { unprocessable } from '../errors';

/** A flow's trigger (docs/api.md). */
export const triggerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('manual') }).strict(),
  z
    .object({
      type: z.literal('cron'),
      schedule: z.string().min(1).max(200),
      timezone: z.string().max(64).optional(),
      overlap: z.enum(['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all']).optional(),
      catchup_window_s: z.number().int().min(1).max(365 * 24 * 3600).optional(),
      input_data: z.unknown().optional(),
    })
    .strict(),
  z.object({ type: z.literal('event'), event: z.string().min(1).max(200) }).strict(),
  z
    .object({
      type: z.literal('webhook'),
      auth: z.enum(['token', 'hmac']).default('token'),
      respond: z.enum(['accepted', 'result']).optional(),
    })
    .strict(),
]);

const flowFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(5000),
  status: z.enum(['draft', 'published', 'archived']),
  enabled: z.boolean(),
  trigger: triggerSchema,
  settings: z.record(z.unknown()),
  nodes: z.array(z.unknown()).max(5000),
  edges: z.array(z.unknown()).max(20000),
};

/** Body of `POST /workflows` and `PUT /workflows/{id}`. */
export const flowInputSchema = z.object({
  ...flowFields,
  description: flowFields.description.default(''),
  status: flowFields.status.default('draft'),
  enabled: flowFields.enabled.default(true),
  trigger: flowFields.trigger.default({ type: 'manual' }),
  settings: flowFields.settings.default({}),
  nodes: flowFields.nodes.default([]),
  edges: flowFields.edges.default([]),
  comment: z.string().max(1000).optional(),
});

/** Body of `PATCH /workflows/{id}`: any subset. */
export const flowPatchSchema = z.object({
  ...Object.fromEntries(Object.entries(flowFields).map(([k, v]) => [k, v.optional()])),
  comment: z.string().max(1000).optional(),
}) as unknown as z.ZodType<Partial<z.infer<typeof flowInputSchema>>>;

/** Body of `POST /workflows/import`: an export document, or at least `{workflow}`. */
export const importSchema = z.object({
  workflow: z.record(z.unknown()),
  format_version: z.number().int().min(1).max(EXPORT_FORMAT_VERSION, `format_version above ${EXPORT_FORMAT_VERSION} is not supported`).optional(),
  exported_at: z.string().optional(),
});

/**
 * The flow of a parsed import document, read as a `POST /workflows` body.
 * @throws 422 `workflow is invalid`, with details under `workflow.…`
 */
export function importedFlow(doc: z.infer<typeof importSchema>): z.infer<typeof flowInputSchema> {
  const parsed = flowInputSchema.safeParse(doc.workflow);
  if (!parsed.success) throw unprocessable('workflow is invalid', issuesToDetails(parsed.error.issues, 'workflow'));
  return parsed.data;
}

/** Body of `POST /workflows/{id}/nodes`: a node in any spelling the flow format accepts, plus edges to add. */
export const nodeAddSchema = z
  .object({
    id: z.string().optional(),
    type: z.string().trim().min(1, 'type is required'),
    edges: z.array(z.unknown()).max(1000).default([]),
    comment: z.string().max(1000).optional(),
  })
  .passthrough();

const removable = z.unknown().optional();

/** Body of `PATCH /workflows/{id}/nodes/{node_id}`: `data` is merged (RFC 7386); `null` removes a setting. */
export const nodePatchSchema = z
  .object({
    type: z.string().trim().min(1).optional(),
    data: z.record(z.unknown()).optional(),
    label: removable,
    position: removable,
    retry: removable,
    timeout_ms: removable,
    on_error: removable,
    comment: z.string().max(1000).optional(),
  })
  .strict();
