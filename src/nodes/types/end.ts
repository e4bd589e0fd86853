import { z } from 'zod';
import { defineNode } from '../node-definition';

/** Terminal node whose rendered `output` becomes the run's `output_data`. */
export const endNode = defineNode({
  type: 'end',
  name: 'End',
  category: 'core',
  description:
    "Ends a branch. `output` (any JSON; strings may hold {{ }} templates) is rendered and becomes the run's output_data; without it the upstream output is used.",
  kind: 'control',
  ports: [],
  dataSchema: z
    .object({
      output: z.unknown().optional().describe("The run's output_data; templates allowed"),
    })
    .strict(),
  outputSchema: z.object({ result: z.unknown().describe('The rendered output') }),
  example: { output: { summary: '{{ analyze.result }}' } },
  exampleOutput: { result: { summary: 'Three devices are offline.' } },
});
