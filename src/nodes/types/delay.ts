import { z } from 'zod';
import { defineNode } from '../node-definition';
import { intOrTemplate, isTemplate } from '../schema-helpers';

const isoDateTime = z.string().datetime({ offset: true });

/** Durable timer: waits `duration_ms` or until a point in time. */
export const delayNode = defineNode({
  type: 'delay',
  aliases: ['wait', 'sleep', 'timer'],
  name: 'Delay',
  category: 'control',
  description:
    'Waits on a durable Temporal timer, either `duration_ms` or `until` an ISO-8601 time (exactly one of them; both may be {{ }} templates). The run survives worker restarts while it waits.',
  kind: 'control',
  ports: ['default'],
  dataSchema: z
    .object({
      duration_ms: intOrTemplate(0, 'Must be a non-negative integer (milliseconds) or a {{ }} template')
        .optional()
        .describe('Milliseconds to wait; exclusive with until'),
      until: z
        .string()
        .refine((s) => isTemplate(s) || isoDateTime.safeParse(s).success, {
          message: 'Must be an ISO-8601 date-time with offset (e.g. 2030-01-01T09:00:00Z) or a {{ }} template',
        })
        .optional()
        .describe('ISO-8601 date-time with offset to wait until; exclusive with duration_ms'),
    })
    .strict()
    .superRefine((data, ctx) => {
      const set = Number(data.duration_ms !== undefined) + Number(data.until !== undefined);
      if (set !== 1) {
        ctx.addIssue({ code: 'custom', path: [], message: 'Set exactly one of duration_ms or until' });
      }
    }),
  outputSchema: z.object({ result: z.object({ waited_ms: z.number().int() }) }),
  example: { duration_ms: 60_000 },
  exampleOutput: { result: { waited_ms: 60_000 } },
});
