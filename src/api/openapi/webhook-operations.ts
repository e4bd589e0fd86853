import { linkDecisionBody, webhookCreateBody, webhookPatchBody } from '../schemas/webhook-bodies';
import type { OperationDoc } from './operation-doc';
import { page, pageQuery } from './schemas';
import { z } from './zod';

const id = z.object({ id: z.string().uuid() });
const timestamp = z.string().datetime({ offset: true });

const webhook = z
  .object({
    id: z.string().uuid(),
    url: z.string().url(),
    events: z.array(z.string()).openapi({ description: 'canonical event names (aliases are stored as the event they stand for)' }),
    workflow_id: z.string().uuid().nullable(),
    enabled: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi('Webhook');

const delivery = z
  .object({
    id: z.string().uuid().openapi({ description: 'also the body’s `id` and the `X-Delivery-Id` header' }),
    event: z.string(),
    execution_id: z.string().uuid().nullable(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    response_status: z.number().int().nullable().openapi({ description: 'HTTP status of the last answer; null without one' }),
    last_error: z.string().nullable().openapi({ description: 'why the last failed attempt failed (kept after a later success)' }),
    created_at: timestamp,
    delivered_at: timestamp.nullable(),
  })
  .openapi('WebhookDelivery');

const decision = z
  .object({
    decision: z.enum(['approved', 'rejected']),
    comment: z.string().nullable(),
    decided_by: z.string().openapi({ description: '`link`' }),
    decided_at: timestamp,
    execution_id: z.string().uuid(),
    node_id: z.string(),
  })
  .openapi('LinkDecision');

const linkPreview = z
  .object({
    execution_id: z.string().uuid(),
    workflow_id: z.string().uuid().nullable(),
    node_id: z.string(),
    title: z.string().nullable(),
    decision: z.enum(['approve', 'reject']),
    expires_at: timestamp,
    used: z.boolean(),
    waiting: z.boolean().openapi({ description: 'whether the approval still waits for a decision' }),
  })
  .openapi('LinkPreview');

const token = z.object({ token: z.string().openapi({ description: 'the signed token of an `approve_url` or `reject_url`' }) });

/** `/api/v1/webhooks` and the approval decision links (docs/api-webhooks.md). */
export const webhookOperations: OperationDoc[] = [
  {
    method: 'post',
    path: '/api/v1/webhooks',
    tag: 'webhooks',
    summary: 'Subscribe a URL to run and approval events',
    description: '422 naming `url` when the destination is a private address not in `HTTP_ALLOWED_HOSTS`. The answer carries `secret` (generated when none was given); it is never shown again.',
    body: { schema: webhookCreateBody, example: { url: 'https://example.com/hooks/flows', events: ['execution.completed', 'approval.requested'] } },
    responses: { 201: { description: 'the subscription, with its `secret`', schema: webhook.extend({ secret: z.string() }) } },
  },
  {
    method: 'get',
    path: '/api/v1/webhooks',
    tag: 'webhooks',
    summary: 'Your webhook subscriptions',
    query: pageQuery,
    responses: { 200: { description: 'a page of subscriptions, newest first', schema: page(webhook, 'WebhookPage') } },
  },
  {
    method: 'get',
    path: '/api/v1/webhooks/{id}',
    tag: 'webhooks',
    summary: 'One subscription',
    params: id,
    responses: { 200: { description: 'the subscription', schema: webhook } },
  },
  {
    method: 'patch',
    path: '/api/v1/webhooks/{id}',
    tag: 'webhooks',
    summary: 'Change a subscription (a new `secret` replaces the old one)',
    params: id,
    body: { schema: webhookPatchBody, example: { enabled: false } },
    responses: { 200: { description: 'the subscription', schema: webhook } },
  },
  {
    method: 'delete',
    path: '/api/v1/webhooks/{id}',
    tag: 'webhooks',
    summary: 'Delete a subscription and its delivery log',
    params: id,
    responses: { 204: { description: 'deleted' } },
  },
  {
    method: 'get',
    path: '/api/v1/webhooks/{id}/deliveries',
    tag: 'webhooks',
    summary: 'The deliveries of a subscription, newest first',
    params: id,
    query: pageQuery,
    responses: { 200: { description: 'a page of deliveries', schema: page(delivery, 'WebhookDeliveryPage') } },
  },
  {
    method: 'get',
    path: '/api/v1/approvals/links/{token}',
    tag: 'approvals',
    summary: 'What an approval decision link would decide (decides nothing)',
    description: '401 for an altered token, 410 once it has expired.',
    params: token,
    responses: { 200: { description: 'the link', schema: linkPreview } },
    errors: [401, 410],
  },
  {
    method: 'post',
    path: '/api/v1/approvals/links/{token}',
    tag: 'approvals',
    summary: 'Decide an approval with a decision link (no account needed)',
    description:
      'The `approve_url` / `reject_url` of an `approval.requested` webhook. Each link decides once: used again → 409 ' +
      '(also when the approval was decided otherwise), altered → 401, expired (with the approval’s `timeout_ms`, else 7 days) → 410.',
    params: token,
    body: { schema: linkDecisionBody, example: { comment: 'looks good' }, required: false },
    responses: { 200: { description: 'the decision', schema: decision } },
    errors: [401, 409, 410, 503],
  },
];
