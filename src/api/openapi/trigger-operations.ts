import { eventBodySchema } from '../schemas/event-bodies';
import type { OperationDoc } from './operation-doc';
import { EXECUTION_STATUSES } from './schemas';
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

/** Events (docs/api-triggers.md). */
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
];
