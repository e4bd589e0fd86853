import { notFound } from '../shared/errors';
import type { ExecutionStatus } from '../shared/flow';
import { ACTIVE_EXECUTION_STATUSES, TERMINAL_EXECUTION_STATUSES, type ExecutionEventRow, type ExecutionRow, type Repos } from '../storage';
import type { Actor } from './actor';
import type { FlowEventHub } from './flow-event-hub';
import type { RunSnapshot } from './run-events';
import type { StepView } from './run-views';

/** A node being executed (or waiting), keyed by node id in `executing_nodes` (seed 003). */
export interface ExecutingNode {
  node_id: string;
  node_type: string;
  label: string | null;
  status: 'running' | 'waiting';
  started_at: string | null;
  /** Seconds since it started. */
  duration_seconds: number | null;
}

/** A node that completed (seed 003's `completed_nodes`), with the port it took as `route`. */
export interface CompletedNode {
  node_id: string;
  node_type: string;
  label: string | null;
  completed_at: string | null;
  duration_seconds: number | null;
  route: string;
}

/** A node that failed. */
export interface FailedNode {
  node_id: string;
  node_type: string;
  label: string | null;
  failed_at: string | null;
  duration_seconds: number | null;
  error: string;
}

/** The node states of one run, in seed 003's shape. */
export interface RunNodeStates {
  executing_nodes: Record<string, ExecutingNode>;
  completed_nodes: CompletedNode[];
  completed_count: number;
  failed_nodes: FailedNode[];
  skipped_nodes: { node_id: string; node_type: string }[];
  progress: { completed: number; total: number };
}

/** One run of the flow in its `state_sync`. */
export interface FlowRunState extends RunNodeStates {
  execution_id: string;
  workflow_version: number;
  status: ExecutionStatus;
  paused: boolean;
  started_at: string | null;
  finished_at: string | null;
  waiting_for?: RunSnapshot['waiting_for'];
}

/**
 * A flow's state (seed 003's `state_sync.state`): the top-level fields describe its newest
 * unfinished run, or else its newest run (`status: "idle"` and empty node lists when it never
 * ran); `executions` lists its unfinished runs and its newest run, newest first.
 */
export interface FlowState extends RunNodeStates {
  workflow_id: string;
  status: ExecutionStatus | 'idle';
  execution_id: string | null;
  executions: FlowRunState[];
}

/** A message of the flow socket. */
export type FlowMessage = Record<string, unknown> & { type: string; workflow_id: string };

/** How many unfinished runs `state_sync` shows (newest first). */
export const FLOW_STATE_RUNS = 10;

const TERMINAL = new Set<ExecutionStatus>(TERMINAL_EXECUTION_STATUSES);
const RUN_END: Record<string, string> = {
  execution_completed: 'workflow_completed',
  execution_failed: 'workflow_failed',
  execution_cancelled: 'workflow_cancelled',
};

const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : Math.round(ms) / 1000);

function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : 'failed';
}

/** A run's steps as seed 003's node lists. */
export function nodeStates(steps: StepView[], progress: { completed: number; total: number }, now = Date.now()): RunNodeStates {
  const executing: Record<string, ExecutingNode> = {};
  const completed: CompletedNode[] = [];
  const failed: FailedNode[] = [];
  const skipped: { node_id: string; node_type: string }[] = [];
  for (const s of steps) {
    if (s.status === 'running' || s.status === 'waiting') {
      executing[s.node_id] = {
        node_id: s.node_id,
        node_type: s.node_type,
        label: s.label,
        status: s.status,
        started_at: s.started_at,
        duration_seconds: s.started_at ? seconds(Math.max(0, now - Date.parse(s.started_at))) : null,
      };
    } else if (s.status === 'completed') {
      completed.push({
        node_id: s.node_id,
        node_type: s.node_type,
        label: s.label,
        completed_at: s.finished_at,
        duration_seconds: seconds(s.duration_ms),
        route: s.port ?? 'default',
      });
    } else if (s.status === 'failed') {
      failed.push({
        node_id: s.node_id,
        node_type: s.node_type,
        label: s.label,
        failed_at: s.finished_at,
        duration_seconds: seconds(s.duration_ms),
        error: errorText(s.error),
      });
    } else if (s.status === 'skipped') skipped.push({ node_id: s.node_id, node_type: s.node_type });
  }
  const byTime = (a: string | null, b: string | null) => (a ?? '').localeCompare(b ?? '');
  completed.sort((a, b) => byTime(a.completed_at, b.completed_at));
  failed.sort((a, b) => byTime(a.failed_at, b.failed_at));
  return {
    executing_nodes: executing,
    completed_nodes: completed,
    completed_count: completed.length,
    failed_nodes: failed,
    skipped_nodes: skipped,
    progress,
  };
}

function runState(row: ExecutionRow, snap: RunSnapshot | undefined): FlowRunState {
  return {
    execution_id: row.id,
    workflow_version: row.flow_version,
    status: snap?.status ?? row.status,
    paused: snap?.paused ?? row.status === 'paused',
    started_at: snap?.execution.started_at ?? row.started_at,
    finished_at: snap?.execution.finished_at ?? row.finished_at,
    ...(snap?.waiting_for ? { waiting_for: snap.waiting_for } : {}),
    ...nodeStates(snap?.steps ?? [], snap?.progress ?? { completed: 0, total: 0 }),
  };
}

/** A node or run event of the live event log as a flow socket message (seed 003's shapes, with more fields). */
export function flowMessage(flowId: string, row: ExecutionEventRow): FlowMessage | undefined {
  const data = row.data as { step?: Record<string, unknown>; status?: ExecutionStatus; output_data?: unknown; error?: unknown; waiting_for?: unknown; reminder?: unknown };
  const base = { workflow_id: flowId, execution_id: row.execution_id, timestamp: row.at };
  const step = data.step;
  if (step && typeof step === 'object') {
    const failed = row.type === 'node_failed';
    return {
      type: row.type,
      ...base,
      node_id: String(step.node_id),
      node_type: String(step.node_type),
      label: (step.label as string | undefined) ?? null,
      status: step.status,
      ...(row.type === 'node_completed' ? { route: (step.port as string | undefined) ?? 'default' } : {}),
      ...(failed ? { error: errorText(step.error), error_details: step.error ?? null } : {}),
      attempt: step.attempt ?? null,
      output: step.output ?? null,
      started_at: step.started_at ?? null,
      finished_at: step.finished_at ?? null,
      duration_ms: step.duration_ms ?? null,
      ...(step.scope ? { scope: step.scope } : {}),
      ...(data.waiting_for ? { waiting_for: data.waiting_for } : {}),
      ...(data.reminder ? { reminder: data.reminder } : {}),
      run_status: data.status ?? null,
    };
  }
  const end = RUN_END[row.type];
  if (end) {
    return {
      type: end,
      ...base,
      status: data.status ?? null,
      output_data: data.output_data ?? null,
      ...(row.type === 'execution_completed' ? {} : { error: data.error ? errorText(data.error) : null, error_details: data.error ?? null }),
    };
  }
  if (row.type === 'execution_started' || row.type === 'execution_paused' || row.type === 'execution_resumed') {
    return { type: row.type, ...base, status: data.status ?? null };
  }
  return undefined;
}

/** The end of a run that reported none (terminated, timed out), from its index row. */
function endOfRow(flowId: string, row: ExecutionRow): FlowMessage {
  const type = row.status === 'completed' ? 'workflow_completed' : row.status === 'cancelled' || row.status === 'terminated' ? 'workflow_cancelled' : 'workflow_failed';
  return {
    type,
    workflow_id: flowId,
    execution_id: row.id,
    timestamp: row.finished_at ?? new Date().toISOString(),
    status: row.status,
    output_data: row.output_data ?? null,
    ...(type === 'workflow_completed' ? {} : { error: row.error ? errorText(row.error) : null, error_details: row.error ?? null }),
  };
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/** What watching flows needs. */
export interface FlowWatchDeps {
  repos: Repos;
  hub: FlowEventHub;
  /** A run's current state (Temporal's, or the index's while it is unreachable). */
  snapshotOf(row: ExecutionRow): Promise<RunSnapshot>;
  /** How often runs that might have ended without saying so are looked at (default 1 s). */
  intervalMs?: number;
}

/** A flow the caller may watch. */
export interface FlowWatch {
  /** A fresh `state_sync` message. */
  stateSync(): Promise<FlowMessage>;
  /**
   * Sends `state_sync`, then the node and run events of the flow's runs as they happen, until
   * `signal` aborts (`aborted`) or the flow is deleted (`deleted`).
   */
  watch(emit: (m: FlowMessage) => void, signal: AbortSignal): Promise<'aborted' | 'deleted'>;
}

/** Watching whole flows: their state and their runs' live events (the flow socket, seed 003). */
export function createFlowWatcher(deps: FlowWatchDeps) {
  const { repos } = deps;

  async function state(flowId: string): Promise<FlowState> {
    const [active, newest] = await Promise.all([
      repos.executions.list({ flowId, status: [...ACTIVE_EXECUTION_STATUSES], limit: FLOW_STATE_RUNS }),
      repos.executions.list({ flowId, limit: 1 }),
    ]);
    const rows = [...active.items];
    if (newest.items[0] && !rows.some((r) => r.id === newest.items[0].id)) rows.push(newest.items[0]);
    rows.sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
    const runs = await Promise.all(rows.map(async (row) => runState(row, await deps.snapshotOf(row).catch(() => undefined))));
    const focus = runs.find((r) => !TERMINAL.has(r.status)) ?? runs[0];
    const nodes = focus ?? nodeStates([], { completed: 0, total: 0 });
    return {
      workflow_id: flowId,
      status: focus?.status ?? 'idle',
      execution_id: focus?.execution_id ?? null,
      executing_nodes: nodes.executing_nodes,
      completed_nodes: nodes.completed_nodes,
      completed_count: nodes.completed_count,
      failed_nodes: nodes.failed_nodes,
      skipped_nodes: nodes.skipped_nodes,
      progress: nodes.progress,
      executions: runs,
    };
  }

  const stateSync = async (flowId: string): Promise<FlowMessage> => ({
    type: 'state_sync',
    workflow_id: flowId,
    timestamp: new Date().toISOString(),
    state: await state(flowId),
  });

  return {
    state,

    /** Checks that the caller may watch the flow (404 otherwise). */
    async open(actor: Actor, flowId: string): Promise<FlowWatch> {
      const flow = await repos.flows.get(flowId, { ownerId: actor.ownerId });
      if (!flow) throw notFound('workflow');
      const intervalMs = deps.intervalMs ?? 1_000;
      return {
        stateSync: () => stateSync(flow.id),
        async watch(emit, signal) {
          /** Unfinished runs, and when each was first seen finished in the index without its end event. */
          const active = new Map<string, number | undefined>();
          let live = false;
          const early: ExecutionEventRow[] = [];
          const forward = (rows: ExecutionEventRow[]) => {
            for (const row of rows) {
              const m = flowMessage(flow.id, row);
              if (!m) continue;
              if (RUN_END[row.type]) active.delete(row.execution_id);
              else if (!TERMINAL.has(row.data.status as ExecutionStatus)) active.set(row.execution_id, active.get(row.execution_id));
              emit(m);
            }
          };
          // Subscribed before the state is read: nothing between the two is lost (some may repeat it).
          const unsubscribe = await deps.hub.subscribe(flow.id, (rows) => (live ? forward(rows) : early.push(...rows)));
          try {
            const sync = await stateSync(flow.id);
            for (const r of (sync.state as FlowState).executions) if (!TERMINAL.has(r.status)) active.set(r.execution_id, undefined);
            if (signal.aborted) return 'aborted';
            emit(sync);
            live = true;
            forward(early.splice(0));
            for (let tick = 1; !signal.aborted; tick++) {
              await pause(intervalMs, signal);
              if (signal.aborted) break;
              if (tick % 5 === 0 && !(await repos.flows.get(flow.id))) return 'deleted';
              for (const [id, endedSince] of active) {
                const row = await repos.executions.get(id);
                if (!row || !TERMINAL.has(row.status)) {
                  active.set(id, undefined);
                  continue;
                }
                // The run's own end event is usually on its way: give it one more look first.
                if (endedSince === undefined) active.set(id, Date.now());
                else if (active.has(id)) {
                  active.delete(id);
                  emit(endOfRow(flow.id, row));
                }
              }
            }
            return 'aborted';
          } finally {
            unsubscribe();
          }
        },
      };
    },
  };
}

/** Watching flows. */
export type FlowWatcher = ReturnType<typeof createFlowWatcher>;
