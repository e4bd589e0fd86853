import { monitoringWindowQuery } from '../routes/monitoring';
import type { OperationDoc } from './operation-doc';
import { EXECUTION_STATUSES } from './schemas';
import { z } from './zod';

const timestamp = z.string().datetime({ offset: true });
const ms = z.number().int().nullable();
const rate = z.number().min(0).max(1).nullable();
const statusCounts = z.object(Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, z.number().int()]))).openapi('StatusCounts');
const statusStats = z
  .object({ count: z.number().int(), avg_duration_ms: ms, min_duration_ms: ms, max_duration_ms: ms })
  .openapi('StatusStats', { description: 'runs of one status, and the durations of those that finished' });

const overview = z
  .object({
    generated_at: timestamp,
    workflows: z.object({
      total: z.number().int(),
      enabled: z.number().int(),
      by_status: z.object({ draft: z.number().int(), published: z.number().int(), archived: z.number().int() }),
      by_trigger: z.record(z.number().int()).openapi({ description: 'flows by trigger type: manual, cron, event, webhook' }),
    }),
    executions: z.object({
      total: z.number().int(),
      active: z.number().int().openapi({ description: 'pending, running, paused or waiting' }),
      by_status: statusCounts,
      success_rate: rate.openapi({ description: 'completed runs over finished ones; null before any finished' }),
      avg_duration_ms: ms,
      last_24h: z.object({ total: z.number().int(), completed: z.number().int(), failed: z.number().int(), success_rate: rate }),
    }),
    pending_approvals: z.number().int(),
  })
  .openapi('MonitoringOverview');

const executionStats = z
  .object({
    since: timestamp,
    until: timestamp,
    workflow_id: z.string().uuid().nullable(),
    total: z.number().int(),
    success_rate: rate,
    avg_duration_ms: ms,
    by_status: z.object(Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, statusStats]))),
    by_workflow: z.array(
      z.object({
        workflow_id: z.string().uuid(),
        workflow_name: z.string().nullable(),
        total: z.number().int(),
        by_status: statusCounts,
        success_rate: rate,
        avg_duration_ms: ms,
      }),
    ),
    workflows_total: z.number().int().openapi({ description: 'flows that ran in the window; `by_workflow` lists the 100 with the most runs' }),
    by_day: z.array(z.object({ date: z.string().openapi({ example: '2025-01-31' }), total: z.number().int(), by_status: statusCounts, avg_duration_ms: ms })),
  })
  .openapi('ExecutionStats');

const nodeTypeStats = z
  .object({
    node_type: z.string(),
    name: z.string().nullable(),
    category: z.string().nullable(),
    uses: z.number().int().openapi({ description: 'nodes of this type that settled (completed, failed or skipped)' }),
    completed: z.number().int(),
    failed: z.number().int(),
    skipped: z.number().int(),
    failure_rate: rate.openapi({ description: 'failed / (completed + failed)' }),
    avg_duration_ms: ms,
    max_duration_ms: ms,
    executions: z.number().int().openapi({ description: 'runs in which the type ran' }),
    workflows: z.number().int().openapi({ description: 'flows in which the type ran' }),
  })
  .openapi('NodeTypeStats');

/** `/api/v1/monitoring` (docs/api-monitoring.md). */
export const monitoringOperations: OperationDoc[] = [
  {
    method: 'get',
    path: '/api/v1/monitoring/overview',
    tag: 'monitoring',
    summary: 'Flows, runs (all time and the last 24 hours) and pending approvals at a glance',
    description: "Over your flows and runs; an admin's (with the `admin` scope) covers every owner.",
    responses: { 200: { description: 'the overview', schema: overview } },
  },
  {
    method: 'get',
    path: '/api/v1/monitoring/executions',
    tag: 'monitoring',
    summary: 'Run counts and durations by status, flow and day',
    description:
      'Runs created in the window (default the last 30 days, at most 366); every day of the window is listed, days without runs at 0. ' +
      'Durations are those of finished runs. 400 for `since` after `until` or a wider window.',
    query: monitoringWindowQuery,
    responses: { 200: { description: 'the statistics', schema: executionStats } },
  },
  {
    method: 'get',
    path: '/api/v1/monitoring/node-types',
    tag: 'monitoring',
    summary: 'Use and failure rate per node type',
    description:
      'From the nodes of runs created in the window (as `/monitoring/executions`), every registered node type listed (unused ones at 0), most used first.',
    query: monitoringWindowQuery,
    responses: {
      200: {
        description: 'the node types',
        schema: z
          .object({ since: timestamp, until: timestamp, workflow_id: z.string().uuid().nullable(), items: z.array(nodeTypeStats), total: z.number().int() })
          .openapi('NodeTypeUsage'),
      },
    },
  },
];
