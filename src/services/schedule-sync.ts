import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleDescription, type ScheduleHandle } from '@temporalio/client';
import type { Logger } from 'pino';
import { compileFlow } from '../nodes/compile-flow';
import { Unavailable } from '../shared/errors';
import type { RunFlowInput } from '../shared/flow';
import type { FlowRow, Repos } from '../storage';
import type { TemporalGate } from '../temporal/temporal-gate';
import { checkInput } from './input-schema';
import { applyInputNodeDefaults } from '../shared/input-fields';
import { desiredSchedule, flowIdOfSchedule, HASH_MEMO_KEY, isCron, scheduleIdOf, type DesiredSchedule } from './schedule-spec';

/** What bringing one flow's schedule in line did. */
export type SyncOutcome = 'created' | 'updated' | 'unchanged' | 'deleted' | 'none';

/** What one reconciliation pass did. */
export interface ReconcileResult {
  checked: number;
  created: number;
  updated: number;
  deleted: number;
  /** Flows whose schedule could not be brought in line (logged). */
  failed: number;
}

/** What keeping schedules in line needs. */
export interface ScheduleSyncDeps {
  repos: Repos;
  client: Client;
  gate: TemporalGate;
  taskQueue: string;
  logger: Pick<Logger, 'info' | 'warn'>;
}

const PAGE = 100;
/** Listing every schedule of the namespace may take more than one call's deadline. */
const LIST_DEADLINE_MS = 30_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Keeps every cron flow's Temporal Schedule in line with the flow: {@link sync} after a change
 * (serialised per flow, and always from the flow as stored, so the last change wins), and
 * {@link reconcile} for everything a failed sync left behind.
 */
export function createScheduleSync(deps: ScheduleSyncDeps) {
  const { repos, client, gate, taskQueue, logger } = deps;
  const queues = new Map<string, Promise<unknown>>();
  let running: Promise<ReconcileResult> | undefined;

  const handleOf = (flowId: string): ScheduleHandle => client.schedule.getHandle(scheduleIdOf(flowId));

  async function describe(handle: ScheduleHandle): Promise<ScheduleDescription | undefined> {
    try {
      return await gate.call(() => handle.describe());
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    }
  }

  /** The schedule a cron flow should have; paused with a note when its runs could not start. */
  function desired(flow: FlowRow): DesiredSchedule | { problem: string } {
    const trigger = { type: 'schedule' as const, schedule_id: scheduleIdOf(flow.id) };
    let definition;
    try {
      definition = compileFlow(flow);
    } catch (err) {
      return { problem: `the flow does not compile: ${(err as Error).message}` };
    }
    const inputData = applyInputNodeDefaults(definition, (flow.trigger.input_data as unknown) ?? {});
    // As the launcher builds a run's input, with no execution id: each run names itself.
    const input: RunFlowInput = {
      execution_id: '',
      flow_id: flow.id,
      flow_version: flow.version,
      owner_id: flow.owner_id,
      trigger,
      input_data: inputData,
      definition,
    };
    const problems = checkInput(definition, inputData);
    const note = problems ? `trigger.input_data does not match the flow's input_schema or input fields: ${Object.values(problems).join('; ')}` : undefined;
    return desiredSchedule(flow, input, taskQueue, note);
  }

  async function remove(handle: ScheduleHandle): Promise<SyncOutcome> {
    try {
      await gate.call(() => handle.delete());
      return 'deleted';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'none';
      throw err;
    }
  }

  async function apply(flowId: string): Promise<SyncOutcome> {
    const flow = await repos.flows.get(flowId);
    const handle = handleOf(flowId);
    if (!flow || !isCron(flow.trigger)) return remove(handle);
    const want = desired(flow);
    if ('problem' in want) {
      logger.warn({ flow_id: flowId, problem: want.problem }, 'a cron flow cannot be scheduled; its schedule is paused');
      const current = await describe(handle);
      if (!current) return 'none';
      if (current.state.paused) return 'unchanged';
      await gate.call(() => handle.pause(want.problem));
      return 'updated';
    }
    const current = await describe(handle);
    if (!current) {
      try {
        await gate.call(() => client.schedule.create(want.options));
        return 'created';
      } catch (err) {
        // Created meanwhile (another API process): bring it in line like any other.
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      }
    } else if (current.action.memo?.[HASH_MEMO_KEY] === want.hash && current.state.paused === want.paused) {
      return 'unchanged';
    }
    const { scheduleId: _id, memo: _memo, ...update } = want.options;
    await gate.call(() => handle.update(() => ({ ...update, state: { paused: want.paused, note: update.state?.note } })));
    return 'updated';
  }

  /**
   * Brings the schedule of `flowId` in line with the flow as stored: created or updated while it
   * is a cron flow (paused while disabled or archived), deleted otherwise. Calls for one flow run
   * one after the other. Throws when Temporal cannot be reached.
   */
  function sync(flowId: string): Promise<SyncOutcome> {
    const next = (queues.get(flowId) ?? Promise.resolve()).catch(() => undefined).then(() => apply(flowId));
    queues.set(flowId, next);
    void next.finally(() => {
      if (queues.get(flowId) === next) queues.delete(flowId);
    }).catch(() => undefined);
    return next;
  }

  /** The ids of the `flow-…` schedules in the namespace, with the task queue of the platform that made each. */
  async function listScheduled(): Promise<{ flowId: string; taskQueue: unknown }[]> {
    return gate.call(async () => {
      const out: { flowId: string; taskQueue: unknown }[] = [];
      for await (const s of client.schedule.list({ pageSize: PAGE })) {
        const flowId = flowIdOfSchedule(s.scheduleId);
        if (flowId && UUID.test(flowId)) out.push({ flowId, taskQueue: s.memo?.task_queue });
      }
      return out;
    }, { deadlineMs: LIST_DEADLINE_MS });
  }

  async function pass(): Promise<ReconcileResult> {
    const result: ReconcileResult = { checked: 0, created: 0, updated: 0, deleted: 0, failed: 0 };
    const count = async (flowId: string) => {
      try {
        const outcome = await sync(flowId);
        result.checked++;
        if (outcome === 'created' || outcome === 'updated' || outcome === 'deleted') result[outcome]++;
      } catch (err) {
        if (err instanceof Unavailable) throw err;
        result.failed++;
        logger.warn({ err, flow_id: flowId }, 'could not bring a flow\'s Temporal Schedule in line');
      }
    };
    if (!gate.isUp()) return result;
    try {
      for (let skip = 0; ; skip += PAGE) {
        const page = await repos.flows.list({ triggerType: 'cron', sortBy: 'created_at', sortOrder: 'asc', skip, limit: PAGE });
        for (const f of page.items) await count(f.id);
        if (page.items.length < PAGE) break;
      }
      for (const s of await listScheduled()) {
        const flow = await repos.flows.get(s.flowId, { includeDeleted: true });
        // Another platform's schedule in a shared namespace is left alone.
        if (flow ? flow.deleted_at || !isCron(flow.trigger) : s.taskQueue === taskQueue) {
          if (flow) await count(s.flowId);
          else if ((await remove(handleOf(s.flowId))) === 'deleted') result.deleted++;
        }
      }
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
      logger.info('Temporal is unreachable: schedules are reconciled when it is back');
    }
    if (result.created || result.updated || result.deleted || result.failed) logger.info({ ...result }, 'schedules reconciled');
    return result;
  }

  return {
    sync,
    describe: (flowId: string) => describe(handleOf(flowId)),
    handleOf,
    /**
     * One reconciliation pass, or the one under way: every cron flow's schedule is created or
     * updated to match the flow, and `flow-…` schedules of flows that are gone or no longer cron
     * are deleted. Stops early (and says so) while Temporal is unreachable.
     */
    reconcile(): Promise<ReconcileResult> {
      running ??= pass().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}

/** Keeps schedules in line with flows. */
export type ScheduleSync = ReturnType<typeof createScheduleSync>;
