import { z } from 'zod';
import { defineNode } from '../node-definition';
import { expression } from '../schema-helpers';

const RESERVED_PORTS = new Set(['default', 'error']);

const switchCase = z
  .object({
    name: z.string().trim().min(1, 'Case name is required').max(64),
    expression: expression.describe('Bare JSONata; the first case that is truthy wins'),
  })
  .strict();

/** Multi-way branch: follows the first case whose expression is truthy, else `default`. */
export const switchNode = defineNode({
  type: 'switch',
  aliases: ['router'],
  name: 'Switch',
  category: 'control',
  description:
    'Evaluates `cases` in order and follows the port named after the first case whose bare JSONata `expression` is truthy; `default` when none is.',
  kind: 'control',
  ports: ['default'],
  dynamicPorts: (data) => data.cases.map((c) => c.name),
  dataSchema: z
    .object({ cases: z.array(switchCase).min(1, 'At least one case is required') })
    .strict()
    .superRefine((data, ctx) => {
      const seen = new Set<string>();
      data.cases.forEach((c, i) => {
        if (RESERVED_PORTS.has(c.name)) {
          ctx.addIssue({ code: 'custom', path: ['cases', i, 'name'], message: `"${c.name}" is a reserved port name` });
        } else if (seen.has(c.name)) {
          ctx.addIssue({ code: 'custom', path: ['cases', i, 'name'], message: `Duplicate case name "${c.name}"` });
        }
        seen.add(c.name);
      });
    }),
  outputSchema: z.object({ result: z.string().describe('Name of the chosen case, or `default`') }),
  expressionFields: ['cases[].expression'],
  example: {
    cases: [
      { name: 'high', expression: 'input.priority = "high"' },
      { name: 'low', expression: 'input.priority = "low"' },
    ],
  },
  exampleOutput: { result: 'high' },
});
