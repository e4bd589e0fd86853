import { Client, ScheduleOverlapPolicy, type Connection, type ScheduleDescription, type ScheduleExecutionResult } from '@temporalio/client';
import { optionalDateToTs } from '@temporalio/common/lib/time';
import type { Logger } from 'pino';
import { conflict, notFound, unprocessable } from '../shared/errors';
import type { ExecutionStatus } from '../shared/flow';
import type { ExecutionRow, FlowRow, FlowSummary, Repos } from '../storage';
import type { TemporalGate } from '../temporal/temporal-gate';
import type { Actor } from './actor';
import type { FlowTriggerHandler } from './flow-triggers';
import { cronProblem, timeZoneProblem } from './schedule-cron';
import { isCron, pauseReason, scheduleIdOf, type CronTrigger } from './schedule-spec';
import { createScheduleSync, type ReconcileResult } from './schedule-sync';

/** A cron flow's schedule as `GET /schedules` lists it. */
export interface ScheduleView {
  workflow_id: string;
  workflow_name: string;
  schedule: string;
  timezone: string;
  overlap: string;
  paused: boolean;
  /** The next (at most 5) times Temporal will start a run; empty while paused or unknown. */
  next_run_times: string[];
  /** The flow's last 5 scheduled runs, newest first. */
  recent_runs: { execution_id: string; scheduled_at: string | null; status: ExecutionStatus }[];
}

/** The run a "run now" started: its index row once the run reported its start. */
export interface TriggeredRun {
  execution_id?: string;
  temporal_workflow_id: string;
  temporal_run_id: string;
}

/** What the schedule service needs. */
export interface ScheduleServiceDeps {
  repos: Repos;
  /** The platform's connection; schedules get a client of their own on it (see below). */
  connection: Connection;
  namespace: string;
  gate: TemporalGate;
  taskQueue: string;
  logger: Pick<Logger, 'info' | 'warn'>;
}

/** At most this many runs per backfill request. */
export const MAX_BACKFILL_RUNS = 500;
const NEXT_TIMES = 5;
const RECENT_RUNS = 5;
/** How long "run now" waits for Temporal to start the run, then for its first report. */
const ACTION_WAIT_MS = 5_000;
const REPORT_WAIT_MS = 10_000;
/** Background tries of a schedule sync that failed during a save (about 4 minutes in all). */
const SYNC_RETRIES = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function poll<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined || Date.now() > deadline) return v;
    await sleep(100);
  }
}

/**
 * Flows that start themselves (docs/api-schedules.md): a cron flow has one Temporal Schedule,
 * `flow-<flow id>`, kept in line with the flow by its trigger handler after every change and by
 * {@link reconcile} at start-up and when Temporal is back.
 */
export function createScheduleService(deps: ScheduleServiceDeps) {
  const { repos, gate, logger } = deps;
  // No claim-check codec: a schedule's input must never point at a stored payload that payload
  // collection could delete while the schedule still starts runs with it.
  const client = new Client({ connection: deps.connection, namespace: deps.namespace });
  const keeper = createScheduleSync({ repos, client, gate, taskQueue: deps.taskQueue, logger });

  /**
   * Syncs without failing the save. A sync that fails is tried again in the background (0.5 s,
   * doubling to 30 s, SYNC_RETRIES times): a disabled flow whose schedule could not be paused on
   * one slow call must not keep running until the next reconciliation (start-up, Temporal back).
   * Each try reads the flow as stored then, so a later save is never undone.
   */
  const syncQuietly = async (flowId: string, attempt = 0): Promise<void> => {
    try {
      await keeper.sync(flowId);
    } catch (err) {
      const retry = attempt < SYNC_RETRIES;
      const delayMs = Math.min(30_000, 500 * 2 ** attempt);
      logger.warn(
        { err, flow_id: flowId, attempt: attempt + 1 },
        retry
          ? `could not update the flow's Temporal Schedule; trying again in ${delayMs} ms`
          : "could not update the flow's Temporal Schedule; it is reconciled at start-up and when Temporal is back",
      );
      if (retry) setTimeout(() => void syncQuietly(flowId, attempt + 1), delayMs).unref();
    }
  };

  const trigger: FlowTriggerHandler = {
    check(t) {
      if (!isCron(t)) return undefined;
      const problems: Record<string, string> = {};
      const schedule = cronProblem(t.schedule);
      if (schedule) problems['trigger.schedule'] = schedule;
      const timezone = t.timezone === undefined ? undefined : timeZoneProblem(t.timezone);
      if (timezone) problems['trigger.timezone'] = timezone;
      return Object.keys(problems).length ? problems : undefined;
    },
    async saved(flow, previous) {
      if (isCron(flow.trigger) || isCron(previous?.trigger)) await syncQuietly(flow.id);
    },
    async deleted(flow) {
      if (isCron(flow.trigger)) await syncQuietly(flow.id);
    },
  };

  async function cronFlow(actor: Actor, flowId: string): Promise<FlowRow> {
    const flow = await repos.flows.get(flowId, { ownerId: actor.ownerId });
    if (!flow) throw notFound('workflow');
    if (!isCron(flow.trigger)) throw conflict('the workflow has no cron trigger', { trigger: `type is ${JSON.stringify(flow.trigger.type)}` });
    return flow;
  }

  /**
   * Scheduled runs index themselves from their own report, where the workflow id is not known:
   * the schedule's recent actions say it, so rows they name get it (for their Web UI link and
   * for reading their steps from Temporal).
   */
  async function linkRuns(actions: ScheduleExecutionResult[], rows: ExecutionRow[]): Promise<void> {
    for (const a of actions) {
      const { workflowId, firstExecutionRunId } = a.action.workflow;
      const row = rows.find((r) => r.temporal_run_id === firstExecutionRunId);
      if (row && row.temporal_workflow_id !== workflowId) {
        await repos.executions.update(row.id, { temporal_workflow_id: workflowId });
        row.temporal_workflow_id = workflowId;
      }
    }
  }

  const scheduledRuns = (flowId: string, limit: number) => repos.executions.list({ flowId, triggerType: 'schedule', limit });

  async function view(flow: FlowSummary): Promise<ScheduleView> {
    const t = flow.trigger as CronTrigger;
    const [described, runs] = await Promise.all([
      keeper.describe(flow.id).catch((err): ScheduleDescription | undefined => {
        // The listing still answers, from the flow: paused or not, without next run times.
        logger.warn({ err, flow_id: flow.id }, 'could not describe the schedule of a cron flow');
        return undefined;
      }),
      scheduledRuns(flow.id, RECENT_RUNS),
    ]);
    if (described) await linkRuns(described.info.recentActions, runs.items).catch(() => undefined);
    const paused = described ? described.state.paused : pauseReason(flow) !== undefined;
    return {
      workflow_id: flow.id,
      workflow_name: flow.name,
      schedule: t.schedule,
      timezone: t.timezone ?? 'UTC',
      overlap: t.overlap ?? 'skip',
      paused,
      next_run_times: described && !paused ? described.info.nextActionTimes.slice(0, NEXT_TIMES).map((d) => d.toISOString()) : [],
      recent_runs: runs.items.map((r) => ({
        execution_id: r.id,
        scheduled_at: typeof r.trigger.scheduled_at === 'string' ? r.trigger.scheduled_at : null,
        status: r.status,
      })),
    };
  }

  return {
    /** Registered with the flow service: checks cron triggers, keeps schedules in line with saves. */
    trigger,

    /** A reconciliation pass (start-up, Temporal back): see {@link createScheduleSync}. */
    reconcile: (): Promise<ReconcileResult> => keeper.reconcile(),

    /** Brings one flow's schedule in line now (throws when Temporal cannot be reached). */
    sync: keeper.sync,

    /** The cron flows the actor may see, with their schedules' state, next times and recent runs. */
    async list(actor: Actor, page: { skip: number; limit: number }): Promise<{ items: ScheduleView[]; total: number }> {
      const flows = await repos.flows.list({ ownerId: actor.ownerId, triggerType: 'cron', sortBy: 'name', sortOrder: 'asc', ...page });
      return { items: await Promise.all(flows.items.map(view)), total: flows.total };
    },

    /**
     * Runs a cron flow now through its schedule (so the run is like any scheduled run) and
     * returns it once it has reported its start; without its report (no worker), its ids.
     */
    async runNow(actor: Actor, flowId: string): Promise<TriggeredRun> {
      const flow = await cronFlow(actor, flowId);
      await keeper.sync(flow.id);
      const handle = keeper.handleOf(flow.id);
      const before = new Set((await gate.call(() => handle.describe())).info.recentActions.map((a) => a.action.workflow.workflowId));
      await gate.call(() => handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL));
      const action = await poll(async () => {
        const d = await gate.call(() => handle.describe());
        return d.info.recentActions.find((a) => !before.has(a.action.workflow.workflowId));
      }, ACTION_WAIT_MS);
      // Temporal names a run after its schedule and second: a second run in the same second is refused.
      if (!action) throw conflict('the schedule started no run: a run of it started within the same second; try again');
      const started = action.action.workflow;
      const row = await poll(async () => {
        const rows = (await scheduledRuns(flow.id, 20)).items;
        await linkRuns([action], rows);
        return rows.find((r) => r.temporal_run_id === started.firstExecutionRunId);
      }, REPORT_WAIT_MS);
      return { execution_id: row?.id, temporal_workflow_id: started.workflowId, temporal_run_id: started.firstExecutionRunId };
    },

    /**
     * Starts the runs Temporal would have started between `start` and `end` (both included),
     * all at once (overlap `allow_all`). The range must be in the past and hold at most
     * {@link MAX_BACKFILL_RUNS} runs.
     */
    async backfill(actor: Actor, flowId: string, start: Date, end: Date): Promise<{ workflow_id: string; start: string; end: string; runs: number }> {
      const flow = await cronFlow(actor, flowId);
      if (end.getTime() <= start.getTime()) throw unprocessable('the backfill range is empty', { start: 'must be before end' });
      if (end.getTime() > Date.now()) {
        throw unprocessable('the backfill range is in the future', { end: 'must not be in the future: runs that are due later start on their own' });
      }
      await keeper.sync(flow.id);
      const scheduleId = scheduleIdOf(flow.id);
      // Temporal lists the times after `start`, and backfills `start` itself too.
      const matching = await gate.call(() =>
        deps.connection.workflowService.listScheduleMatchingTimes({
          namespace: deps.namespace,
          scheduleId,
          startTime: optionalDateToTs(new Date(start.getTime() - 1)),
          endTime: optionalDateToTs(end),
        }),
      );
      const runs = matching.startTime?.length ?? 0;
      if (runs > MAX_BACKFILL_RUNS) {
        throw unprocessable('the backfill range is too long', { start: `the range holds ${runs >= 1000 ? 'over 1000' : runs} runs; a backfill starts at most ${MAX_BACKFILL_RUNS}` });
      }
      await gate.call(() => keeper.handleOf(flow.id).backfill({ start, end, overlap: ScheduleOverlapPolicy.ALLOW_ALL }));
      return { workflow_id: flow.id, start: start.toISOString(), end: end.toISOString(), runs };
    },
  };
}

/** Flows that start themselves, on Temporal Schedules. */
export type ScheduleService = ReturnType<typeof createScheduleService>;
