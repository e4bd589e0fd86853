import { z } from 'zod';
import { defineNode } from '../node-definition';
import { timeoutMs } from '../schema-helpers';

/** Human-in-the-loop gate: waits for an approve/reject decision. */
export const approvalNode = defineNode({
  type: 'approval',
  aliases: ['human-approval', 'manual-approval', 'approve'],
  name: 'Approval',
  category: 'control',
  description:
    'Pauses the branch until an allowed user approves or rejects it (POST /executions/{id}/approvals/{node_id}). Follows `approved` or `rejected`; after `timeout_ms` follows `timeout`, or the `default_outcome` port when one is set.',
  kind: 'control',
  ports: ['approved', 'rejected', 'timeout'],
  dataSchema: z
    .object({
      title: z.string().max(500).optional(),
      instructions: z.string().max(10_000).optional(),
      approvers: z
        .array(z.string().trim().min(1))
        .optional()
        .describe('Usernames or user ids allowed to decide; the flow owner when absent'),
      timeout_ms: timeoutMs.optional().describe('How long to wait for a decision'),
      default_outcome: z
        .enum(['approved', 'rejected'])
        .optional()
        .describe('Decision taken when the timeout expires (instead of the `timeout` port)'),
    })
    .strict(),
  outputSchema: z.object({
    result: z.object({
      decision: z.enum(['approved', 'rejected', 'timeout']),
      comment: z.string().nullable(),
      decided_by: z.string().nullable(),
      decided_at: z.string().nullable(),
    }),
  }),
  example: {
    title: 'Approve refund of {{ input.amount }} EUR',
    approvers: ['finance-lead'],
    timeout_ms: 86_400_000,
    default_outcome: 'rejected',
  },
});
