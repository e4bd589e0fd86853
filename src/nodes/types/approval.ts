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
    'Pauses the branch until an allowed user approves or rejects it (POST /executions/{id}/approvals/{node_id}, or a decision link of the `approval.requested` webhook). Follows `approved` or `rejected`; after `timeout_ms` follows `timeout`, or the `default_outcome` port when one is set. `reminders_ms` sends `approval.reminder` webhook events while it waits.',
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
      reminders_ms: z
        .array(timeoutMs)
        .min(1)
        .max(20)
        .optional()
        .describe('Reminders while it waits, in ms after the request (each before `timeout_ms`): each sends an `approval.reminder` webhook event'),
    })
    .strict()
    .superRefine((data, ctx) => {
      const late = data.timeout_ms === undefined ? -1 : (data.reminders_ms ?? []).findIndex((ms) => ms >= data.timeout_ms!);
      if (late >= 0) ctx.addIssue({ code: 'custom', path: ['reminders_ms', late], message: 'must be less than timeout_ms' });
    }),
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
  exampleOutput: { result: { decision: 'approved', comment: 'Within the refund budget', decided_by: 'finance-lead', decided_at: '2025-01-31T09:30:00.000Z' } },
});
