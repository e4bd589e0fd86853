import { z } from 'zod';
import { defineNode } from '../node-definition';
import { templateString } from '../schema-helpers';

/** Context names an `item_variable` cannot take. */
const LOOP_RESERVED_NAMES = ['input', 'prev', 'trigger', 'execution', 'vars', 'index', 'context'];

/** Runs a sub-graph once per item of an array. */
export const loopNode = defineNode({
  type: 'loop',
  aliases: ['for-each', 'foreach'],
  name: 'Loop',
  category: 'control',
  description:
    'Renders `items` (a {{ }} template giving an array) and runs `body` ({nodes, edges}, a sub-flow validated like the flow itself) once per item, with `item` (also named `item_variable` when set) and `index` in the context. Up to `concurrency` items run at once; `error_handling` decides whether a failed item stops the loop or is recorded and skipped. Output `result` is the array of each item\'s body output; without a body, the items themselves. Seed 001\'s `items_path` is accepted on save and rewritten into `items`.',
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
        .optional()
        .describe('The sub-graph run per item; without one, each item is its own result'),
      item_variable: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'A name: letters, digits and "_", not starting with a digit')
        .refine((name) => name === 'item' || !LOOP_RESERVED_NAMES.includes(name), {
          message: `Cannot be one of ${LOOP_RESERVED_NAMES.join(', ')}: those names mean something else in the body`,
        })
        .optional()
        .describe('Another name for the current item in the body, besides `item` (seed 001)'),
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
  exampleOutput: { result: [2, 4, 6] },
});
