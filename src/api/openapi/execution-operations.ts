import type { OperationDoc } from './operation-doc';
import { EXECUTION_STATUSES, execution, executionDetail, executionPage, json, logEntry, pageQuery, runStatus } from './schemas';
import { z } from './zod';

const runId = z.object({ id: z.string().uuid() });

const control = (action: 'pause' | 'resume' | 'cancel' | 'terminate', summary: string): OperationDoc => ({
  method: 'post',
  path: `/api/v1/executions/{id}/${action}`,
  tag: 'executions',
  summary,
  params: runId,
  responses: { 200: { description: 'the run', schema: execution } },
  errors: [409, 503],
});

/** `/api/v1/executions`. */
export const executionOperations: OperationDoc[] = [
  {
    method: 'post',
    path: '/api/v1/executions',
    tag: 'executions',
    summary: 'Run a flow (by `workflow_id`)',
    headers: z.object({ 'idempotency-key': z.string().max(200).optional() }),
    body: {
      schema: z.object({ workflow_id: z.string().uuid(), input_data: json.optional(), version: z.number().int().min(1).optional() }),
      example: { workflow_id: '00000000-0000-4000-8000-000000000000', input_data: { name: 'Ada' } },
    },
    responses: {
      201: { description: 'the run, started', schema: execution },
      200: { description: 'the run an earlier request with this `Idempotency-Key` started', schema: execution },
    },
    errors: [503],
  },
  {
    method: 'get',
    path: '/api/v1/executions',
    tag: 'executions',
    summary: 'List runs',
    query: pageQuery.extend({
      workflow_id: z.string().uuid().optional(),
      status: z.enum(EXECUTION_STATUSES).optional(),
      search: z.string().max(200).optional(),
      since: z.string().datetime({ offset: true }).optional(),
      until: z.string().datetime({ offset: true }).optional(),
    }),
    responses: { 200: { description: 'a page of runs', schema: executionPage } },
  },
  {
    method: 'get',
    path: '/api/v1/executions/{id}',
    tag: 'executions',
    summary: 'A run with its steps',
    params: runId,
    responses: { 200: { description: 'the run', schema: executionDetail } },
  },
  {
    method: 'get',
    path: '/api/v1/executions/{id}/status',
    tag: 'executions',
    summary: 'Live status and progress of a run',
    params: runId,
    responses: { 200: { description: 'the status', schema: runStatus } },
  },
  control('pause', 'Pause a run (no new nodes are scheduled)'),
  control('resume', 'Resume a paused run'),
  control('cancel', 'Cancel a run (running activities see the cancellation)'),
  control('terminate', 'Terminate a run at once'),
  {
    method: 'post',
    path: '/api/v1/executions/{id}/events',
    tag: 'executions',
    summary: 'Deliver an external event to a waiting `wait-event` node',
    params: runId,
    body: { schema: z.object({ name: z.string().min(1).max(200), data: json.optional() }), example: { name: 'order.paid', data: { amount: 42 } } },
    responses: { 202: { description: 'delivered', schema: z.object({ delivered: z.literal(true) }) } },
    errors: [409, 503],
  },
  {
    method: 'post',
    path: '/api/v1/executions/{id}/approvals/{node_id}',
    tag: 'approvals',
    summary: 'Approve or reject a waiting approval node',
    description: '403 when the caller is not among the node’s `approvers`; 409 when the node is not waiting or already decided.',
    params: runId.extend({ node_id: z.string() }),
    body: {
      schema: z.object({ decision: z.enum(['approve', 'reject']), comment: z.string().max(5000).optional() }),
      example: { decision: 'approve', comment: 'looks good' },
    },
    responses: { 200: { description: 'the decision', schema: z.object({ decision: z.string() }).passthrough() } },
    errors: [409, 503],
  },
  {
    method: 'get',
    path: '/api/v1/executions/{id}/logs',
    tag: 'logs',
    summary: "A run's log lines",
    params: runId,
    query: pageQuery.extend({
      limit: z.coerce.number().int().min(1).max(100).default(50),
      level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
      node_id: z.string().max(64).optional(),
    }),
    responses: {
      200: {
        description: 'a page of log lines',
        schema: z.object({ logs: z.array(logEntry), total: z.number().int(), skip: z.number().int(), limit: z.number().int() }),
      },
    },
  },
  {
    method: 'get',
    path: '/api/v1/executions/{id}/logs/summary',
    tag: 'logs',
    summary: "Counts of a run's log lines by level and node, and its error lines",
    params: runId,
    responses: {
      200: {
        description: 'the summary',
        schema: z.object({
          total_logs: z.number().int(),
          level_stats: z.record(z.number().int()),
          node_stats: z.record(z.number().int()),
          error_logs: z.array(logEntry),
        }),
      },
    },
  },
];
