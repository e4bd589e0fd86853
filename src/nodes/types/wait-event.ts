import { z } from 'zod';
import { defineNode } from '../node-definition';
import { timeoutMs } from '../schema-helpers';

/** Waits until an external event with the given name is delivered to the run. */
export const waitEventNode = defineNode({
  type: 'wait-event',
  aliases: ['wait-for-event', 'event-wait'],
  name: 'Wait for event',
  category: 'control',
  description:
    'Waits until an event named `name` is delivered to the run (POST /executions/{id}/events); output `result` is the event data. Follows `timeout` when `timeout_ms` passes first.',
  kind: 'control',
  ports: ['default', 'timeout'],
  dataSchema: z
    .object({
      name: z.string().trim().min(1, 'Event name is required').max(200),
      timeout_ms: timeoutMs.optional().describe('How long to wait; forever when absent'),
    })
    .strict(),
  outputSchema: z.object({ result: z.unknown().describe("The event's data") }),
  example: { name: 'payment.received', timeout_ms: 3_600_000 },
  exampleOutput: { result: { amount: 42.5, currency: 'EUR' } },
});
