import { z } from 'zod';
import { INPUT_FIELD_TYPES, type InputField } from '../../shared/input-fields';
import { defineNode } from '../node-definition';

const JSON_TYPE_CHECKS: Record<(typeof INPUT_FIELD_TYPES)[number], (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  integer: (v) => Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  array: (v) => Array.isArray(v),
  any: () => true,
};

const field = z
  .object({
    name: z.string().trim().min(1, 'Field name is required').max(200).describe('Key of the field in input_data'),
    type: z.enum(INPUT_FIELD_TYPES).default('any').describe('JSON type the value must have'),
    required: z.boolean().default(false).describe('Whether input_data must hold the field (after defaults)'),
    default: z.unknown().optional().describe('Value used when input_data lacks the field'),
    description: z.string().max(2000).optional().describe('What the field is for (editors show it)'),
  })
  .strict();

/**
 * Declares the run's input (seed 001's input node): its output `result` is the run's input_data
 * with the declared defaults applied. The API applies the same defaults and checks the fields
 * before the run starts.
 */
export const inputNode = defineNode({
  type: 'input',
  name: 'Input',
  category: 'core',
  description:
    "Declares the run's input fields (`fields`: name, type, required, default) and/or a JSON Schema (`input_schema`), after `start` or as the entry node. Missing fields get their defaults in the run's input_data itself (so `{{ input.x }}` sees them everywhere), input that lacks a required field or has one of the wrong type is rejected with 422 at execute, and the node's output `result` is that input.",
  kind: 'control',
  ports: ['default'],
  dataSchema: z
    .object({
      fields: z
        .array(field)
        .max(200)
        .optional()
        .describe('The input fields, in order')
        .superRefine((fields, ctx) => {
          const seen = new Set<string>();
          (fields ?? []).forEach((f: InputField, i) => {
            if (seen.has(f.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `Field "${f.name}" is declared twice` });
            seen.add(f.name);
            const type = f.type ?? 'any';
            if (f.default !== undefined && !JSON_TYPE_CHECKS[type](f.default)) {
              ctx.addIssue({ code: 'custom', path: [i, 'default'], message: `The default of "${f.name}" is not of type ${type}` });
            }
          });
        }),
      input_schema: z
        .record(z.unknown())
        .optional()
        .describe('JSON Schema the input_data must satisfy; its top-level properties\' `default`s apply too (not template-rendered)'),
    })
    .strict(),
  // Declarations, not templates: a default of "{{ x }}" is that text.
  rawFields: ['fields', 'input_schema'],
  outputSchema: z.object({ result: z.unknown().describe('The run input, with the declared defaults') }),
  example: {
    fields: [
      { name: 'text', type: 'string', required: true, description: 'The text to summarise' },
      { name: 'language', type: 'string', required: false, default: 'en' },
    ],
  },
  exampleOutput: { result: { text: 'Temporal keeps workflows running through crashes.', language: 'en' } },
});
