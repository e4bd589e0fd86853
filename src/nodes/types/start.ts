import { z } from 'zod';
import { defineNode } from '../node-definition';

/** Entry point of a flow: its output is the run's `input_data`, optionally checked against a JSON Schema. */
export const startNode = defineNode({
  type: 'start',
  name: 'Start',
  category: 'core',
  description:
    "Entry point of the flow. Its output `result` is the run's input_data; when `input_schema` is set, input that fails it is rejected with 422 at execute.",
  kind: 'control',
  ports: ['default'],
  dataSchema: z
    .object({
      input_schema: z
        .record(z.unknown())
        .optional()
        .describe('JSON Schema the input_data must satisfy (not template-rendered)'),
    })
    .strict(),
  outputSchema: z.object({ result: z.unknown().describe('The run input') }),
  example: { input_schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
  exampleOutput: { result: { name: 'Ada' } },
});
