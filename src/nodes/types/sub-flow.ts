import { z } from 'zod';
import { defineNode } from '../node-definition';
import { isTemplate, isUuid } from '../schema-helpers';

/** Runs another flow as a child workflow and waits for its output. */
export const subFlowNode = defineNode({
  type: 'sub-flow',
  aliases: ['subflow', 'sub-workflow', 'subworkflow', 'execute-workflow'],
  name: 'Sub-flow',
  category: 'control',
  description:
    "Runs another flow (`workflow_id`, optionally pinned to `version`) as a Temporal child workflow with `input` as its input_data; output `result` is the child run's output_data.",
  kind: 'control',
  ports: ['default'],
  dataSchema: z
    .object({
      workflow_id: z
        .string()
        .refine((s) => isUuid(s) || isTemplate(s), { message: 'Must be a flow id (UUID) or a {{ }} template' })
        .describe('Id of the flow to run'),
      version: z.number().int().min(1).max(2_147_483_647).optional().describe('Flow version; the latest when absent'),
      input: z.unknown().optional().describe("The child run's input_data; templates allowed"),
    })
    .strict(),
  outputSchema: z.object({
    result: z.unknown().describe("The child run's output_data"),
    execution_id: z.string().describe('Execution id of the child run'),
    workflow_version: z.number().int().describe('The version of the flow the child run ran'),
  }),
  example: { workflow_id: '6f1c2a9e-3b7d-4c1a-9f0e-2d5b8c7a6e41', input: { order: '{{ input.order_id }}' } },
  exampleOutput: { result: { status: 'shipped' }, execution_id: 'b3e1c7d2-5a4f-4e8b-9c1d-2f6a7b8c9d0e', workflow_version: 3 },
});
