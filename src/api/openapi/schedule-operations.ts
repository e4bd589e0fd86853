import { backfillBodySchema, scheduleListQuery } from '../schemas/schedule-bodies';
import type { OperationDoc } from './operation-doc';
import { EXECUTION_STATUSES, executionDetail, page } from './schemas';
import { z } from './zod';

const flowId = z.object({ id: z.string().uuid() });
const timestamp = z.string().datetime({ offset: true });

/** A cron flow's schedule as `GET /schedules` lists it. */
const schedule = z
  .object({
    workflow_id: z.string().uuid(),
    workflow_name: z.string(),
    schedule: z.string().openapi({ description: 'the trigger’s cron expression' }),
    timezone: z.string().openapi({ description: 'the trigger’s IANA time zone (`UTC` by default)' }),
    overlap: z.enum(['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all']),
    paused: z.boolean().openapi({ description: 'the Temporal Schedule is paused (flow disabled or archived)' }),
    next_run_times: z.array(timestamp).openapi({ description: 'the next (at most 5) start times; empty while paused or while Temporal cannot be asked' }),
    recent_runs: z.array(z.object({ execution_id: z.string().uuid(), scheduled_at: timestamp.nullable(), status: z.enum(EXECUTION_STATUSES) })),
  })
  .openapi('Schedule');

/** `/api/v1/schedules` and `/api/v1/workflows/{id}/schedule/…` (docs/api-schedules.md). */
export const scheduleOperations: OperationDoc[] = [
  {
    method: 'get',
    path: '/api/v1/schedules',
    tag: 'schedules',
    summary: 'List the caller’s cron flows with their schedules (admins: every flow)',
    description: 'Next start times come from Temporal; recent runs (the last 5 with trigger type `schedule`) from the run index.',
    query: scheduleListQuery,
    responses: { 200: { description: 'a page of schedules', schema: page(schedule, 'SchedulePage') } },
  },
  {
    method: 'post',
    path: '/api/v1/workflows/{id}/schedule/trigger',
    tag: 'schedules',
    summary: 'Run a cron flow now, through its schedule',
    description: 'The run is like any scheduled run (trigger type `schedule`, overlap `allow_all`). 409 when the flow has no cron trigger.',
    params: flowId,
    responses: {
      201: { description: 'the run, once it reported its start', schema: executionDetail },
      202: {
        description: 'Temporal started the run but it has not reported yet (no worker polling): it is listed once it runs',
        schema: z.object({ workflow_id: z.string().uuid(), status: z.literal('pending'), temporal: z.object({ workflow_id: z.string(), run_id: z.string() }) }),
      },
    },
    errors: [409, 503],
  },
  {
    method: 'post',
    path: '/api/v1/workflows/{id}/schedule/backfill',
    tag: 'schedules',
    summary: 'Start the runs the schedule would have started between `start` and `end`',
    description:
      'Both ends included, all at once (overlap `allow_all`). `end` must be after `start` and not in the future; ' +
      'at most 500 runs per request. 409 when the flow has no cron trigger.',
    params: flowId,
    body: { schema: backfillBodySchema, example: { start: '2026-01-01T09:00:00Z', end: '2026-01-01T12:00:00Z' } },
    responses: {
      202: {
        description: 'the backfill is under way',
        schema: z.object({ workflow_id: z.string().uuid(), start: timestamp, end: timestamp, runs: z.number().int().openapi({ description: 'how many runs it starts' }) }),
      },
    },
    errors: [409, 503],
  },
];
