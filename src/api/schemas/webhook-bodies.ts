/**
 * Request bodies of the outbound webhook routes (`/webhooks`) and of the approval decision links,
 * as zod schemas: the routes parse with them and the OpenAPI document shows them.
 */
import { z } from 'zod';

const fields = {
  url: z.string().url().max(2000).describe('where events are POSTed (http or https; private addresses need HTTP_ALLOWED_HOSTS)'),
  events: z
    .array(z.string().min(1).max(100))
    .min(1)
    .max(20)
    .describe('event names (`execution.completed`…, the aliases `flow.executed` and `flow.failed`, or `*` for all)'),
  secret: z.string().min(8).max(256).describe('the HMAC signing secret; generated when absent (shown once)'),
  workflow_id: z.string().uuid().nullable().describe('only runs of this flow; null or absent: every flow of yours'),
  enabled: z.boolean().describe('default true'),
};

/** `POST /webhooks`. */
export const webhookCreateBody = z.object({
  url: fields.url,
  events: fields.events,
  secret: fields.secret.optional(),
  workflow_id: fields.workflow_id.optional(),
  enabled: fields.enabled.optional(),
});

/** `PATCH /webhooks/{id}`: any of the fields; a new `secret` replaces the old one. */
export const webhookPatchBody = webhookCreateBody.partial();

/** `POST /approvals/links/{token}`. */
export const linkDecisionBody = z.object({ comment: z.string().max(5000).optional() });
