import type { ScheduleOptions, ScheduleOverlapPolicy } from '@temporalio/client';
import { RUN_FLOW, type RunFlowInput } from '../shared/flow';
import { searchAttributesFor } from '../shared/search-attributes';
import { hashDefinition, type FlowRow, type FlowSummary, type FlowTrigger } from '../storage';
import { canonicalTimeZone } from './schedule-cron';

/** The fields of a `cron` trigger (docs/api-schedules.md). */
export interface CronTrigger extends FlowTrigger {
  type: 'cron';
  schedule: string;
  timezone?: string;
  overlap?: 'skip' | 'buffer_one' | 'buffer_all' | 'cancel_other' | 'terminate_other' | 'allow_all';
  catchup_window_s?: number;
  input_data?: unknown;
}

/** Default of `catchup_window_s`: a run missed by more than a minute (Temporal was down) is skipped. */
export const DEFAULT_CATCHUP_WINDOW_S = 60;
const SCHEDULE_PREFIX = 'flow-';

/** Whether a flow starts itself (its trigger is `cron`). */
export function isCron(trigger: FlowTrigger | undefined): trigger is CronTrigger {
  return trigger?.type === 'cron';
}

/** The id of a flow's Temporal Schedule. */
export function scheduleIdOf(flowId: string): string {
  return `${SCHEDULE_PREFIX}${flowId}`;
}

/** The flow id of a schedule id the platform made, undefined for any other schedule. */
export function flowIdOfSchedule(scheduleId: string): string | undefined {
  return scheduleId.startsWith(SCHEDULE_PREFIX) ? scheduleId.slice(SCHEDULE_PREFIX.length) : undefined;
}

/** Why a cron flow's schedule is paused, or undefined when it runs (enabled and not archived). */
export function pauseReason(flow: Pick<FlowSummary, 'enabled' | 'status'>): string | undefined {
  if (flow.status === 'archived') return 'the flow is archived';
  if (!flow.enabled) return 'the flow is disabled';
  return undefined;
}

/** The overlap policy of a trigger, as Temporal spells it (skip unless the trigger says otherwise). */
export function overlapOf(trigger: CronTrigger): ScheduleOverlapPolicy {
  return (trigger.overlap ?? 'skip').toUpperCase() as ScheduleOverlapPolicy;
}

/** What the platform wants a flow's Temporal Schedule to be, and the hash that identifies it. */
export interface DesiredSchedule {
  options: ScheduleOptions;
  /**
   * Hash of the action (compiled input, workflow id, summary…), spec and policies. It travels in
   * the action's memo: a schedule's own memo is fixed at creation, so it could not say what the
   * schedule was last updated to.
   */
  hash: string;
  paused: boolean;
}

/** The key of the hash in the action's memo. */
export const HASH_MEMO_KEY = 'flow_schedule_hash';

/**
 * The Schedule of a cron flow: the cron spec in the trigger's time zone, the trigger's overlap
 * policy and catch-up window, and an action that starts `runFlow` with `input` (built once, so
 * every run gets the same input and names itself), paused while the flow is disabled or archived.
 */
export function desiredSchedule(flow: FlowRow, input: RunFlowInput, taskQueue: string, pauseNote?: string): DesiredSchedule {
  const trigger = flow.trigger as CronTrigger;
  const timezone = trigger.timezone ? canonicalTimeZone(trigger.timezone) : undefined;
  const body = {
    spec: { cronExpressions: [trigger.schedule.trim()], ...(timezone ? { timezone } : {}) },
    action: {
      type: 'startWorkflow' as const,
      workflowType: RUN_FLOW.workflow,
      taskQueue,
      // Temporal appends the scheduled time: run-sched-<flow id>-2026-01-01T09:00:00Z.
      workflowId: `run-sched-${flow.id}`,
      args: [input],
      typedSearchAttributes: searchAttributesFor(input),
      staticSummary: `${flow.name} v${input.flow_version} (scheduled)`,
    },
    policies: { overlap: overlapOf(trigger), catchupWindow: (trigger.catchup_window_s ?? DEFAULT_CATCHUP_WINDOW_S) * 1000 },
  };
  const hash = hashDefinition(body);
  const note = pauseNote ?? pauseReason(flow);
  return {
    hash,
    paused: note !== undefined,
    options: {
      scheduleId: scheduleIdOf(flow.id),
      ...body,
      action: { ...body.action, memo: { [HASH_MEMO_KEY]: hash } },
      // Fixed at creation: which platform made the schedule (see ScheduleService.reconcile).
      memo: { flow_id: flow.id, task_queue: taskQueue },
      state: { paused: note !== undefined, note: note ?? 'runs the flow on its cron trigger' },
    },
  };
}
