import { startRequiring, type FlowTemplate } from './template';

/** A change that is applied (HTTP call) only after a person approves it; a rejection ends the run. */
export const approvalGatedChange: FlowTemplate = {
  id: 'approval-gated-change',
  name: 'Approval-gated change',
  description:
    'Asks for an approval before applying a change through an HTTP call. Approved: POSTs the payload to change_url ' +
    '(with an idempotency key, so retries never apply it twice). Rejected, or no decision within a day: ends without calling anything.',
  category: 'approvals',
  tags: ['approval', 'http-request', 'human-in-the-loop'],
  example_input: {
    summary: 'Raise the rate limit of tenant acme to 500/min',
    change_url: 'https://api.example.com/tenants/acme/limits',
    payload: { requests_per_minute: 500 },
  },
  trigger: { type: 'manual' },
  nodes: [
    startRequiring(['summary', 'change_url'], 'Change request'),
    {
      id: 'review',
      type: 'approval',
      label: 'Review the change',
      position: { x: 240, y: 0 },
      data: {
        title: 'Apply change: {{ input.summary }}',
        instructions: 'Approve to POST the payload to {{ input.change_url }}.',
        timeout_ms: 86_400_000,
        default_outcome: 'rejected',
      },
    },
    {
      id: 'apply',
      type: 'http-request',
      label: 'Apply the change',
      position: { x: 480, y: -80 },
      data: {
        method: 'POST',
        url: '{{ input.change_url }}',
        body: '{{ input.payload }}',
        idempotency_key: true,
      },
    },
    {
      id: 'applied',
      type: 'end',
      label: 'Applied',
      position: { x: 720, y: -80 },
      data: {
        output: {
          decision: 'approved',
          approved_by: '{{ review.result.decided_by }}',
          status: '{{ apply.status }}',
          response: '{{ apply.result }}',
        },
      },
    },
    {
      id: 'rejected',
      type: 'end',
      label: 'Rejected',
      position: { x: 480, y: 80 },
      data: { output: { decision: 'rejected', comment: '{{ review.result.comment }}' } },
    },
  ],
  edges: [
    { source: 'start', target: 'review' },
    { source: 'review', target: 'apply', source_handle: 'approved' },
    { source: 'apply', target: 'applied' },
    { source: 'review', target: 'rejected', source_handle: 'rejected' },
  ],
};
