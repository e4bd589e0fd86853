import { z } from 'zod';
import { defineNode } from '../node-definition';
import { templateString } from '../schema-helpers';

/** Runs a sub-graph once per item of an array. */
export const loopNode = defineNode({
  type: 'loop',
  aliases: ['for-each', 'foreach'],
  name: 'Loop',
  category: 'control',
  description:
    'Renders `items` (a {{ }} template giving an array) and runs `body` ({nodes, edges}, a sub-flow validated like the flow itself) once per item, with `item` and `index` in the context. Up to `concurrency` items run at once; `error_handling` decides whether a failed item stops the loop or is recorded and skipped. Output `result` is the array of each item\'s body output.',
  kind: 'control',
  ports: ['default'],
  dataSchema: z
    .object({
      items: templateString.describe('A {{ }} template giving the array, e.g. {{ fetch.result.items }}'),
      body: z
        .object({
          nodes: z.array(z.unknown()).describe('Nodes of the body (same format as the flow)'),
          edges: z.array(z.unknown()).default([]).describe('Edges between body nodes'),
        })
        .strict()
        .describe('The sub-graph run per item'),
      concurrency: z.number().int().min(1).max(50).default(1).describe('Items run at once (1..50)'),
      error_handling: z
        .enum(['stop', 'continue'])
        .default('stop')
        .describe('`stop`: a failed item fails the loop; `continue`: its error is recorded in the results'),
    })
    .strict(),
  outputSchema: z.object({
    result: z.array(z.unknown()).describe("Each item's body output, in item order"),
    errors: z
      .array(z.object({ index: z.number().int(), node_id: z.string(), error: z.record(z.unknown()) }))
      .optional()
      .describe('With error_handling "continue", when items failed: which item, at which body node, and its error'),
  }),
  example: {
    items: '{{ fetch.result.items }}',
    body: {
      nodes: [{ id: 'double', type: 'transform', data: { expression: 'item * 2' } }],
      edges: [],
    },
    concurrency: 5,
    error_handling: 'continue',
  },
});
