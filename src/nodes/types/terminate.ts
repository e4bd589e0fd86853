import { z } from 'zod';
import { defineNode } from '../node-definition';

/** Ends the whole run at once with a status. */
export const terminateNode = defineNode({
  type: 'terminate',
  aliases: ['stop'],
  name: 'Terminate',
  category: 'control',
  description:
    'Ends the whole run immediately with `status` `completed` or `failed` and an optional `message`; branches still running are cancelled.',
  kind: 'control',
  ports: [],
  dataSchema: z
    .object({
      status: z.enum(['completed', 'failed']),
      message: z.string().max(10_000).optional(),
    })
    .strict(),
  outputSchema: z.object({}).describe('Terminate ends the run; it has no output'),
  example: { status: 'failed', message: 'Order {{ input.order_id }} was cancelled upstream' },
  exampleOutput: {},
});
