import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineNode } from '../node-definition';

/** Passes a value (or its input) through, optionally after a delay; used by benchmarks and smoke tests. */
export const noopNode = defineNode({
  type: 'noop',
  aliases: ['no-op', 'pass', 'passthrough'],
  name: 'No-op',
  category: 'utility',
  description:
    'Returns `value` (or, without one, its upstream input) as `result`, after `delay_ms` if set. An activity that does no I/O: useful to measure the platform and to stub a step.',
  kind: 'activity',
  ports: ['default'],
  dataSchema: z
    .object({
      value: z.unknown().optional().describe('Value to return; templates allowed'),
      delay_ms: z.number().int().min(0).max(60_000).optional().describe('Wait this long first (0..60000)'),
    })
    .strict(),
  outputSchema: z.object({ result: z.unknown() }),
  // Above the 60 s maximum delay_ms, so the delay alone never times the activity out. The
  // wrapper's heartbeat lets a cancelled run reach a waiting noop and a crashed worker be noticed quickly.
  defaults: { timeout_ms: 90_000, heartbeat_ms: 5_000 },
  // No I/O: safe to repeat; a noop told to wait stays remote (a local activity holds the workflow task).
  localWhen: (data) => !data.delay_ms,
  example: { value: { ok: true }, delay_ms: 0 },
  exampleOutput: { result: { ok: true } },
  async execute(data, ctx) {
    if (data.delay_ms) await sleep(data.delay_ms, undefined, { signal: ctx.signal });
    return { output: { result: data.value ?? ctx.prev } };
  },
});
