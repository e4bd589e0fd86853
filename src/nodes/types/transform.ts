import { z } from 'zod';
import { defineNode } from '../node-definition';
import { expression } from '../schema-helpers';

/** Reshapes data with a JSONata expression. */
export const transformNode = defineNode({
  type: 'transform',
  aliases: ['jsonata'],
  name: 'Transform',
  category: 'data',
  description: 'Evaluates a bare JSONata `expression` over the run context; its value is the output `result`.',
  kind: 'control',
  ports: ['default'],
  dataSchema: z.object({ expression: expression.describe('Bare JSONata, e.g. `fetch.result.items[price > 10]`') }).strict(),
  outputSchema: z.object({ result: z.unknown() }),
  expressionFields: ['expression'],
  example: { expression: '{ "count": $count(fetch.result.items) }' },
  exampleOutput: { result: { count: 3 } },
});
