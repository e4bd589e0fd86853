import { z } from 'zod';
import { defineNode } from '../node-definition';

const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/** Stores values as run variables (`vars.<name>`). */
export const setNode = defineNode({
  type: 'set',
  aliases: ['set-variable', 'set-variables', 'variables'],
  name: 'Set variables',
  category: 'data',
  description:
    'Renders each entry of `values` (any JSON; strings may hold {{ }} templates) and stores it as `vars.<name>` for later nodes.',
  kind: 'control',
  ports: ['default'],
  dataSchema: z
    .object({
      values: z
        .record(
          z
            .string()
            .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'Variable names are identifiers (letters, digits, _)')
            // Run variables live in a plain object, where these would not hold a value.
            .refine((name) => !RESERVED_NAMES.has(name), (name) => ({ message: `"${name}" is reserved` })),
          z.unknown(),
        )
        .refine((v) => Object.keys(v).length > 0, 'At least one value is required'),
    })
    .strict(),
  outputSchema: z.object({ result: z.record(z.unknown()).describe('The rendered values') }),
  example: { values: { customer: '{{ input.customer_id }}', attempts: 0 } },
  exampleOutput: { result: { customer: 'c-1042', attempts: 0 } },
});
