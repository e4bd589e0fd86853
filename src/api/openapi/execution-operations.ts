import type { OperationDoc } from './operation-doc';
import {
  EXECUTION_STATUSES,
  STEP_STATUSES,
  execution,
  executionDetail,
  executionPage,
  itemStepPage,
  json,
  logEntry,
  page,
  pageQuery,
  runStatus,
} from './schemas';
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
      schema: z.object({
        workflow_id: z.string().uuid(),
        input_data: json.optional(),
        version: z.number().int().min(1).max(2_147_483_647).optional(),
        wait: z.boolean().default(false).openapi({ description: 'answer when the run has finished (200) or after `timeout_ms` (202)' }),
        timeout_ms: z.number().int().min(1).max(300_000).default(30_000),
      }),
      example: { workflow_id: '00000000-0000-4000-8000-000000000000', input_data: { name: 'Ada' } },
    },
    responses: {
      201: { description: 'the run, started', schema: execution },
      200: { description: 'with `wait`: the finished run; or the run an earlier request with this `Idempotency-Key` started', schema: execution },
      202: { description: 'with `wait`: the run, still going after `timeout_ms`', schema: execution },
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
    path: '/api/v1/executions/{id}/item-steps',
    tag: 'executions',
    summary: "The steps of a run's loop items, a page at a time",
    description:
      'One step per loop item and body node, ordered by loop, item index and start; the run detail holds the first page. ' +
      'Inputs are not kept; outputs only when under 16 KB of JSON.',
    params: runId,
    query: pageQuery.extend({
      limit: z.coerce.number().int().min(1).max(100).default(100),
      loop_node_id: z.string().max(64).optional(),
      item_index: z.coerce.number().int().min(0).optional(),
      node_id: z.string().max(64).optional(),
      status: z.enum(STEP_STATUSES).optional(),
    }),
    responses: { 200: { description: 'a page of item steps', schema: itemStepPage } },
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
    path: '/api/v1/executions/{id}/retry',
    tag: 'executions',
    summary: 'Start a new run that does not redo what this finished run completed upstream of `from_node`',
    description: 'Default `from_node`: the node that failed the run. 409 while the run is still going.',
    params: runId,
    body: {
      schema: z.object({ from_node: z.string().min(1).max(64).optional(), use_latest_version: z.boolean().default(false) }).strict(),
      example: { from_node: 'greet' },
      required: false,
    },
    responses: { 201: { description: 'the new run', schema: execution } },
    errors: [409, 503],
  },
  {
    method: 'get',
    path: '/api/v1/executions/{id}/events/stream',
    tag: 'executions',
    summary: "A run's live events (server-sent events)",
    description:
      'Events `state_sync, node_started, node_completed, node_failed, node_skipped, node_waiting, approval_reminder, execution_paused, ' +
      'execution_resumed, execution_completed, execution_failed, execution_cancelled, log`, each `{type, execution_id, ' +
      'timestamp, data}`; the stream ends after the terminal event. `EventSource` cannot send headers, so `?token=` ' +
      '(a JWT or API key) is accepted here.',
    params: runId,
    query: z.object({ token: z.string().optional().openapi({ description: 'credentials for clients that cannot send headers' }) }),
    responses: { 200: { description: 'the event stream', contentType: 'text/event-stream' } },
  },
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
      schema: z.object({
        decision: z.enum(['approve', 'approved', 'reject', 'rejected']).openapi({ description: '`approved` and `rejected` are accepted too' }),
        comment: z.string().max(5000).optional(),
      }),
      example: { decision: 'approve', comment: 'looks good' },
    },
    responses: { 200: { description: 'the decision', schema: z.object({ decision: z.string() }).passthrough() } },
    errors: [409, 503],
  },
  {
    method: 'get',
    path: '/api/v1/approvals',
    tag: 'approvals',
    summary: 'Approval nodes waiting for a decision that the caller may see',
    query: pageQuery.extend({ workflow_id: z.string().uuid().optional() }),
    responses: {
      200: {
        description: 'a page of pending approvals',
        schema: page(
          z
            .object({
              execution_id: z.string().uuid(),
              workflow_id: z.string().uuid(),
              workflow_version: z.number().int(),
              node_id: z.string(),
              title: z.string().nullable(),
              instructions: z.string().nullable(),
              approvers: z.array(z.string()).openapi({ description: "empty: the run's owner (or an admin)" }),
              requested_at: z.string().datetime({ offset: true }).nullable(),
              can_decide: z.boolean(),
            })
            .openapi('PendingApproval'),
          'PendingApprovalPage',
        ),
      },
    },
  },
  {
    method: 'post',
    path: '/api/v1/nodes/test',
    tag: 'node-types',
    summary: 'Run one node for debugging',
    description: 'Runs the node as a one-off Temporal workflow on the worker, with the same activity and retry policy as in a flow.',
    body: {
      schema: z.object({
        type: z.string().min(1).max(100),
        data: z.record(z.unknown()).default({}),
        input: json.optional(),
        timeout_ms: z.number().int().min(100).max(300_000).optional(),
      }),
      example: { type: 'transform', data: { expression: 'input.a + 1' }, input: { a: 41 } },
    },
    responses: {
      200: {
        description: 'the outcome',
        schema: z
          .object({
            success: z.boolean(),
            output: json,
            error: z.object({ message: z.string(), type: z.string().optional(), details: json.optional() }).nullable(),
            port: z.string().nullable(),
            attempt: z.number().int(),
            logs: z.array(z.object({ level: z.string(), message: z.string(), timestamp: z.string(), duration_ms: z.number().nullable(), data: json })),
            duration_ms: z.number(),
            temporal: z.object({ workflow_id: z.string(), run_id: z.string() }),
          })
          .openapi('NodeTestResult'),
      },
    },
    errors: [503],
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
      item_index: z.coerce.number().int().min(0).optional().openapi({ description: 'lines of this loop item (with `loop_node_id`: of that loop)' }),
      loop_node_id: z.string().max(64).optional(),
    }),
    responses: {
      200: {
        description: 'a page of log lines',
        schema: z
          .object({
            items: z.array(logEntry),
            logs: z.array(logEntry).openapi({ description: 'the same lines as `items` (the seeds name the list `logs`)' }),
            total: z.number().int(),
            skip: z.number().int(),
            limit: z.number().int(),
          })
          .openapi('LogPage'),
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
          node_stats: z
            .array(
              z.object({
                node_id: z.string(),
                node_type: z.string().nullable(),
                log_count: z.number().int(),
                total_duration_ms: z.number().int().openapi({ description: "sum of the node's lines' duration_ms (each attempt's last line carries its duration)" }),
              }),
            )
            .openapi({ description: 'one entry per node that logged, in the order the nodes first logged' }),
          error_logs: z.array(logEntry),
        }),
      },
    },
  },
];
