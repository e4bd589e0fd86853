import { z } from 'zod';
import { defineNode } from '../node-definition';
import { expression } from '../schema-helpers';

/** If/else: follows `true` or `false` depending on a JSONata expression. */
export const conditionNode = defineNode({
  type: 'condition',
  aliases: ['if'],
  name: 'Condition',
  category: 'control',
  description:
    'Evaluates a bare JSONata `expression` over the run context and follows the `true` port when it is truthy, `false` otherwise.',
  kind: 'control',
  ports: ['true', 'false'],
  dataSchema: z.object({ expression: expression.describe('Bare JSONata, e.g. `fetch.status = 200`') }).strict(),
  outputSchema: z.object({ result: z.boolean() }),
  expressionFields: ['expression'],
  example: { expression: 'fetch.status = 200' },
  exampleOutput: { result: true },
});
