import { z } from 'zod';
import { defineNode } from '../node-definition';

/** Shapes the run's result before `end` (seed 001's output node). */
export const outputNode = defineNode({
  type: 'output',
  name: 'Output',
  category: 'core',
  description:
    "Shapes the run's result (seed 001's output node, usually right before `end`). `output` (any JSON; strings may hold {{ }} templates) is rendered into `result`; without it `result` is the upstream node's `result` (`{node_id: result}` for several). An `end` without its own `output` that follows an output node makes that `result` the run's output_data, unwrapped.",
  kind: 'control',
  ports: ['default'],
  dataSchema: z
    .object({
      output: z.unknown().optional().describe("The shaped result; templates allowed"),
    })
    .strict(),
  outputSchema: z.object({ result: z.unknown().describe('The shaped value') }),
  example: { output: { summary: '{{ analyze.result }}', model: '{{ analyze.model }}' } },
  exampleOutput: { result: { summary: 'Temporal keeps workflows running.', model: 'gpt-4o-mini' } },
});
