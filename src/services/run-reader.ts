import { notFound, Unavailable } from '../shared/errors';
import type { ExecutionStatus, StepState } from '../shared/flow';
import {
  TERMINAL_EXECUTION_STATUSES,
  type ExecutionListOptions,
  type ExecutionRow,
  type ItemStepListOptions,
  type LogListOptions,
  type Repos,
} from '../storage';
import type { Actor } from './actor';
import type { EventTail } from './run-event-tail';
import { watchRun, type LiveEvent, type RunSnapshot } from './run-events';
import { LIVE_STATUSES, type Reconciled, type RunTemporal } from './run-temporal';
import {
  itemStepView,
  progressOf,
  stepsFromEvents,
  stepView,
  type ExecutionView,
  type ItemStepPage,
  type StatusView,
  type ViewFn,
} from './run-views';

const TERMINAL = TERMINAL_EXECUTION_STATUSES;
/**
 * Loop-body steps in a run's detail: its first page (a page's largest size); the rest through
 * `GET /executions/{id}/item-steps`, so a 10,000-item loop does not make the detail huge.
 */
export const DETAIL_ITEM_STEPS = 100;

/** How long `waitFor` gives the run's own report of its end to reach the index before asking Temporal. */
const REPORT_GRACE_MS = 200;

/** What reading runs needs. */
export interface RunReaderDeps {
  repos: Repos;
  temporal: RunTemporal;
  view: ViewFn;
  tail: EventTail;
  /** How often live streams look at logs and the index row (default 250 ms). */
  watchIntervalMs?: number;
}

/** Reading runs: lists from the index, details and status from Temporal (the index when it is down). */
export function createRunReader(deps: RunReaderDeps) {
  const { repos, temporal, view } = deps;

  async function getRow(actor: Actor, id: string): Promise<ExecutionRow> {
    const row = await repos.executions.get(id, { ownerId: actor.ownerId });
    if (!row) throw notFound('execution');
    return row;
  }

  /** Mirrors `paused` / `waiting` into the index (last known); the status query stays the authority. */
  async function syncLive(row: ExecutionRow, status: ExecutionStatus | undefined): Promise<ExecutionRow> {
    if (!status || !LIVE_STATUSES.includes(status) || status === row.status) return row;
    return (await repos.executions.update(row.id, { status }, { ifStatusIn: LIVE_STATUSES })) ?? row;
  }

  /** What the run has reported of its steps, for when Temporal cannot be asked. */
  async function reportedSteps(row: ExecutionRow): Promise<StepState[]> {
    return stepsFromEvents(await repos.events.listAfter(row.id, 0, 10_000));
  }

  /** A run's current state: index row, reconciled with Temporal, plus the live status while it runs. */
  async function snapshotOf(row: ExecutionRow): Promise<RunSnapshot> {
    let known: Reconciled;
    try {
      known = await temporal.reconcile(row);
    } catch (err) {
      if (!(err instanceof Unavailable)) throw err;
      const steps = await reportedSteps(row);
      return {
        execution: { ...view(row), temporal: { ...view(row).temporal, reachable: false } },
        terminal: TERMINAL.includes(row.status),
        status: row.status,
        paused: row.status === 'paused',
        progress: progressOf(steps),
        current_nodes: steps.filter((s) => s.status === 'running' || s.status === 'waiting').map((s) => s.node_id),
        steps: steps.map(stepView),
      };
    }
    if (TERMINAL.includes(known.row.status)) {
      const steps = await temporal.stepsOf(known.row, known).catch(() => reportedSteps(known.row));
      return {
        execution: view(known.row),
        terminal: true,
        status: known.row.status,
        paused: false,
        progress: progressOf(steps),
        current_nodes: [],
        steps: steps.map(stepView),
      };
    }
    // A stuck run cannot answer its status query: say why instead of waiting for it.
    const live = known.stuck ? undefined : await temporal.liveStatus(known.row);
    const fresh = await syncLive(known.row, live?.status);
    const execution = { ...view(fresh), ...(known.stuck ? { problem: known.stuck } : {}) };
    if (!live) {
      // No answer in time (a local activity holds the workflow task, the worker is gone): what the
      // run has reported of its steps instead.
      const steps = await reportedSteps(fresh);
      return {
        execution,
        terminal: false,
        status: fresh.status,
        paused: fresh.status === 'paused',
        progress: progressOf(steps),
        current_nodes: steps.filter((s) => s.status === 'running' || s.status === 'waiting').map((s) => s.node_id),
        steps: steps.map(stepView),
      };
    }
    return {
      execution,
      terminal: false,
      status: LIVE_STATUSES.includes(live.status) ? live.status : fresh.status,
      paused: live.paused,
      progress: live.progress,
      current_nodes: live.current_nodes,
      ...(live.waiting_for ? { waiting_for: live.waiting_for } : {}),
      steps: live.steps.map(stepView),
    };
  }

  /** A page of a run's loop-body steps, with the counts of all of them by status. */
  async function itemStepPage(row: ExecutionRow, options: ItemStepListOptions): Promise<ItemStepPage> {
    const by_status = await repos.itemSteps.countByStatus(row.id);
    const skip = options.skip ?? 0;
    const limit = options.limit ?? DETAIL_ITEM_STEPS;
    if (Object.keys(by_status).length === 0) return { items: [], total: 0, skip, limit, by_status };
    const page = await repos.itemSteps.list(row.id, { ...options, skip, limit });
    return { items: page.items.map(itemStepView), total: page.total, skip, limit, by_status };
  }

  return {
    getRow,
    snapshotOf,

    /** A page of a run's loop-body steps (filters: loop, item index, node, status). */
    async itemSteps(actor: Actor, id: string, options: ItemStepListOptions): Promise<ItemStepPage> {
      return itemStepPage(await getRow(actor, id), options);
    },

    /** A page of the index: what a filter asks for is exactly what the items say, and `total` counts them. */
    async list(actor: Actor, options: Omit<ExecutionListOptions, 'ownerId'>) {
      const page = await repos.executions.list({ ...options, ownerId: actor.ownerId });
      return { items: page.items.map((row) => view(row)), total: page.total };
    },

    /** A page of a run's log lines. */
    async logs(actor: Actor, id: string, options: LogListOptions) {
      const row = await getRow(actor, id);
      return repos.logs.list(row.id, options);
    },

    /** Counts of a run's log lines by level and node, and its first error lines. */
    async logSummary(actor: Actor, id: string) {
      return repos.logs.summary((await getRow(actor, id)).id);
    },

    /** A run with its per-node steps; the status is the live one (paused, waiting) while it runs. */
    async get(actor: Actor, id: string): Promise<ExecutionView> {
      const row = await getRow(actor, id);
      const [snap, items] = await Promise.all([snapshotOf(row), itemStepPage(row, { skip: 0, limit: DETAIL_ITEM_STEPS })]);
      const v: ExecutionView = { ...snap.execution, steps: snap.steps, item_steps: items };
      if (!snap.terminal) v.status = snap.status;
      return v;
    },

    /** Status, progress, current nodes and what the run waits for. */
    async status(actor: Actor, id: string): Promise<StatusView> {
      const s = await snapshotOf(await getRow(actor, id));
      return {
        status: s.status,
        ...(s.execution.problem ? { problem: s.execution.problem } : {}),
        paused: s.paused,
        progress: s.progress,
        current_nodes: s.current_nodes,
        ...(s.waiting_for ? { waiting_for: s.waiting_for } : {}),
      };
    },

    /** Waits up to `timeoutMs` for a run to finish; returns its view and whether it finished. */
    async waitFor(actor: Actor, id: string, timeoutMs: number): Promise<{ execution: ExecutionView; finished: boolean }> {
      const row = await getRow(actor, id);
      if (row.status === 'pending') return { execution: view(row), finished: false };
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
      const done = temporal
        .handleOf(row)
        .result()
        .then(
          () => 'done' as const,
          () => 'done' as const,
        );
      const outcome = await Promise.race([done, timeout]);
      clearTimeout(timer);
      // The run reports its own end to the index; give that write a moment before asking Temporal.
      let fresh = (await repos.executions.get(row.id)) ?? row;
      const until = Date.now() + REPORT_GRACE_MS;
      while (outcome === 'done' && !TERMINAL.includes(fresh.status) && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        fresh = (await repos.executions.get(row.id)) ?? fresh;
      }
      if (!TERMINAL.includes(fresh.status)) fresh = (await temporal.reconcile(fresh).catch(() => ({ row: fresh }))).row;
      return { execution: view(fresh), finished: outcome === 'done' && TERMINAL.includes(fresh.status) };
    },

    /**
     * Checks that the caller may watch the run (404 otherwise) and returns a function that streams
     * its live events until the run ends or `signal` aborts (`resumeFrom`: a `Last-Event-ID`).
     */
    async openWatch(actor: Actor, id: string) {
      const row = await getRow(actor, id);
      return (emit: (e: LiveEvent) => void, signal: AbortSignal, resumeFrom?: string) =>
        watchRun(
          row.id,
          {
            snapshot: async () => snapshotOf((await repos.executions.get(row.id)) ?? row),
            row: () => repos.executions.get(row.id),
            logs: (skip, limit) => repos.logs.list(row.id, { skip, limit }),
            tail: deps.tail,
            lastEventId: () => repos.events.lastId(row.id),
          },
          emit,
          { signal, resumeFrom, intervalMs: deps.watchIntervalMs },
        );
    },
  };
}

/** Reading runs. */
export type RunReader = ReturnType<typeof createRunReader>;
