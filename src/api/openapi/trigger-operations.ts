import { eventBodySchema } from '../schemas/event-bodies';
import type { OperationDoc } from './operation-doc';
import { EXECUTION_STATUSES, json } from './schemas';
import { z } from './zod';

const status = z.enum(EXECUTION_STATUSES);

const publishedEvent = z
  .object({
    event_id: z.string().openapi({ description: 'the `id` sent, or a new UUID' }),
    executions: z.array(z.object({ id: z.string().uuid(), workflow_id: z.string().uuid(), status })),
    skipped: z
      .array(z.object({ workflow_id: z.string().uuid(), message: z.string(), details: z.record(z.unknown()).optional() }))
      .openapi({ description: 'matching flows that refused the event (their `input_schema`, an invalid graph); empty on a repeat' }),
    duplicate: z.boolean().openapi({ description: 'the id was seen before: `executions` are the runs its first delivery started' }),
  })
  .openapi('PublishedEvent');

const hookCredentials = z
  .object({
    hook: z.object({
      url: z.string().openapi({ description: 'where to call the hook: `PUBLIC_URL` (else the API’s own address) + `/hooks/{workflow_id}`' }),
      token: z.string().optional().openapi({ description: '`auth: token`: the bearer token' }),
      secret: z.string().optional().openapi({ description: '`auth: hmac`: the signing secret (the HMAC key is this whole string)' }),
    }),
  })
  .openapi('HookCredentials');

const hookAccepted = z.object({ execution_id: z.string().uuid(), status }).openapi('HookAccepted');
const hookResult = hookAccepted.extend({ output_data: json }).openapi('HookResult');

/** Events and inbound webhooks (docs/api-triggers.md). */
export const triggerOperations: OperationDoc[] = [
  {
    method: 'post',
    path: '/api/v1/events',
    tag: 'triggers',
    summary: 'Publish an event: start every flow of the caller whose trigger is `{type: "event", event: <type>}`',
    description:
      'Enabled, not archived flows only. Each run gets the trigger `{type: "event", event, event_id, data}` and `data` as ' +
      'its input. The same `id` again answers the runs its first delivery started and starts nothing (409 when it was ' +
      'used for another `type`).',
    body: { schema: eventBodySchema, example: { type: 'order.created', id: 'ord-1001', data: { order_id: 1001, total: 42 } } },
    responses: { 202: { description: 'the runs the event started', schema: publishedEvent } },
    errors: [409],
  },
  {
    method: 'post',
    path: '/api/v1/workflows/{id}/hook/rotate',
    tag: 'triggers',
    summary: 'Issue new webhook credentials (token or signing secret) for a flow, shown once',
    description: 'The flow’s owner only. The old token or secret stops working at once. 409 when the flow’s trigger is not a webhook.',
    params: z.object({ id: z.string().uuid() }),
    responses: { 200: { description: 'the new credentials (not shown again)', schema: hookCredentials } },
    errors: [409],
  },
  {
    method: 'post',
    path: '/hooks/{workflow_id}',
    tag: 'triggers',
    summary: 'Inbound webhook: start a flow whose trigger is `{type: "webhook"}`',
    description:
      'Outside `/api/v1`: no JWT or API key; the flow’s hook authenticates the call. `auth: token`: ' +
      '`Authorization: Bearer <token>` or `?token=`. `auth: hmac`: `X-Timestamp: <unix seconds>` (within 300 s) and ' +
      '`X-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Timestamp>.<raw body>")>`. The run’s trigger is ' +
      '`{type: "webhook", delivery_id, data}` with `data` the body parsed as JSON (its text when it is not JSON); its ' +
      'input is the same value. A repeated `X-Delivery-Id` answers the run the first delivery started. 401 for a missing ' +
      'or wrong token or signature or a stale timestamp; 404 for an unknown, deleted, disabled or archived flow or one ' +
      'without a webhook trigger. Counted in the API-wide rate limit of the client’s address.',
    params: z.object({ workflow_id: z.string().uuid() }),
    query: z.object({ token: z.string().optional().openapi({ description: '`auth: token`, for senders that cannot set headers' }) }),
    headers: z.object({
      authorization: z.string().optional().openapi({ description: '`Bearer <token>` (`auth: token`)' }),
      'x-timestamp': z.string().optional().openapi({ description: 'unix seconds (`auth: hmac`)' }),
      'x-signature': z.string().optional().openapi({ description: '`sha256=<hex>` (`auth: hmac`)' }),
      'x-delivery-id': z.string().max(200).optional().openapi({ description: 'the sender’s delivery id: a repeat starts nothing' }),
    }),
    body: {
      schema: json,
      example: { order_id: 1001 },
      contentTypes: ['application/json', 'text/plain', 'application/octet-stream'],
      required: false,
    },
    responses: {
      202: { description: 'the run, started (or, with `respond: "result"`, still going after 30 s)', schema: hookAccepted },
      200: { description: 'with `respond: "result"`: the finished run’s output', schema: hookResult },
    },
    errors: [401, 429],
  },
];
