import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { RUN_FLOW, workflowIdFor, type ExecutionStatus, type RunFlowResult, type RunStatus, type StepState } from '../shared/flow';
import { TERMINAL_EXECUTION_STATUSES, type ExecutionPatch, type ExecutionRow, type Repos } from '../storage';
import type { TemporalGate } from '../temporal/temporal-gate';

/** What a failed run's failure says. */
export interface FailureInfo {
  message: string;
  type?: string;
  node_id?: string;
  steps?: StepState[];
}

/** A row compared with Temporal, with what Temporal said of the run's end when it had ended. */
export interface Reconciled {
  row: ExecutionRow;
  result?: RunFlowResult;
  failure?: FailureInfo;
  /** Set when the run's workflow task keeps failing or timing out (the run makes no progress). */
  stuck?: StuckRun;
}

/** A run whose workflow task keeps failing (a bug, or a worker that dies on it): it does not progress. */
export interface StuckRun {
  kind: 'workflow_task_failing';
  /** Attempts of the current workflow task so far. */
  attempts: number;
  /** The last failure Temporal recorded for it, when there is one. */
  message: string | null;
}

/** Attempts of one workflow task from which a run is reported as stuck. */
export const STUCK_AFTER_ATTEMPTS = 3;

const TEMPORAL_STATUS: Record<string, ExecutionStatus> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
  CONTINUED_AS_NEW: 'running',
};

/** Statuses of a run that Temporal is executing (the live status query answers for these). */
export const LIVE_STATUSES: readonly ExecutionStatus[] = ['running', 'paused', 'waiting'];

/** How long a status query may take (a run whose worker is gone never answers). */
const QUERY_DEADLINE_MS = 3_000;

/** Reading runs from Temporal, every call through the gate (short deadlines, fail fast when down). */
export function createRunTemporal(deps: {
  repos: Repos;
  client: Client;
  gate: TemporalGate;
  /** Called with a row this reconciliation finished (the run's own report of its end was missing). */
  onFinished?: (row: ExecutionRow) => Promise<void>;
}) {
  const { repos, client, gate } = deps;

  const handleOf = (row: ExecutionRow): WorkflowHandle =>
    client.workflow.getHandle(row.temporal_workflow_id ?? workflowIdFor(row.id));

  async function fetchOutcome(handle: WorkflowHandle): Promise<{ result?: RunFlowResult; failure?: FailureInfo }> {
    try {
      return { result: (await gate.call(() => handle.result())) as RunFlowResult };
    } catch (err) {
      if (!(err instanceof WorkflowFailedError)) throw err;
      const cause = err.cause;
      if (cause instanceof ApplicationFailure) {
        const d = (cause.details?.[0] ?? {}) as { node_id?: string; steps?: StepState[] };
        return { failure: { message: cause.message, type: cause.type ?? undefined, node_id: d.node_id, steps: d.steps } };
      }
      return { failure: { message: cause?.message ?? err.message } };
    }
  }

  /**
   * Compares an unfinished row with Temporal and brings it up to date (the runs report their own
   * transitions; this repairs what a report missed: terminate, timeouts, a lost write).
   */
  async function reconcile(row: ExecutionRow): Promise<Reconciled> {
    if (TERMINAL_EXECUTION_STATUSES.includes(row.status)) return { row };
    const handle = handleOf(row);
    let desc;
    try {
      desc = await gate.call(() => handle.describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { row };
      throw err;
    }
    const status = TEMPORAL_STATUS[desc.status.name] ?? 'running';
    if (status === 'running') {
      if (row.status === 'pending' || row.temporal_run_id !== desc.runId) {
        row =
          (await repos.executions.update(row.id, {
            status: row.status === 'pending' ? 'running' : undefined,
            temporal_run_id: desc.runId,
            ...(row.started_at ? {} : { started_at: desc.startTime }),
          })) ?? row;
      }
      const attempts = Number(desc.raw.pendingWorkflowTask?.attempt ?? 0);
      if (attempts < STUCK_AFTER_ATTEMPTS) return { row };
      return { row, stuck: { kind: 'workflow_task_failing', attempts, message: await lastTaskFailure(handle) } };
    }
    const patch: ExecutionPatch = {
      status,
      temporal_run_id: desc.runId,
      finished_at: desc.closeTime ?? new Date(),
      started_at: row.started_at ?? desc.startTime,
    };
    const started = Date.parse(row.started_at ?? desc.startTime.toISOString());
    patch.execution_time_ms = Math.max(0, (desc.closeTime?.getTime() ?? Date.now()) - started);
    let result: RunFlowResult | undefined;
    let failure: FailureInfo | undefined;
    if (status === 'completed' || status === 'failed') {
      ({ result, failure } = await fetchOutcome(handle));
      if (result) patch.output_data = result.output ?? null;
      if (failure) patch.error = { message: failure.message, node_id: failure.node_id ?? null, type: failure.type ?? null };
    } else {
      patch.error = { message: `run ${status}` };
    }
    const finished = await repos.executions.update(row.id, patch, { ifStatusIn: ['pending', ...LIVE_STATUSES] });
    // Its webhook delivery has an id of its own, so a report that arrives after all is not sent twice.
    if (finished) await deps.onFinished?.(finished).catch(() => undefined);
    row = finished ?? (await repos.executions.get(row.id)) ?? row;
    return { row, result, failure };
  }

  /** The message of the last workflow task failure or timeout in a run's history. */
  async function lastTaskFailure(handle: WorkflowHandle): Promise<string | null> {
    const history = await gate.call(() => handle.fetchHistory()).catch(() => undefined);
    for (const e of [...(history?.events ?? [])].reverse()) {
      const failed = e.workflowTaskFailedEventAttributes;
      if (failed) return failed.failure?.message ?? `workflow task failed (${String(failed.cause ?? 'unknown cause')})`;
      if (e.workflowTaskTimedOutEventAttributes) return 'workflow task timed out: the worker may be crashing on this run';
    }
    return null;
  }

  /** The status query's answer for a run Temporal is executing; undefined otherwise or when it cannot answer. */
  async function liveStatus(row: ExecutionRow): Promise<RunStatus | undefined> {
    if (!LIVE_STATUSES.includes(row.status)) return undefined;
    try {
      return await gate.call(() => handleOf(row).query<RunStatus>(RUN_FLOW.statusQuery), { deadlineMs: QUERY_DEADLINE_MS });
    } catch {
      return undefined;
    }
  }

  /** The steps of a run: from its result or failure when it ended, else from the status query. */
  async function stepsOf(row: ExecutionRow, known?: Reconciled): Promise<StepState[]> {
    if (known?.result) return known.result.steps;
    if (known?.failure?.steps) return known.failure.steps;
    if (row.status === 'completed' || row.status === 'failed') {
      const o = await fetchOutcome(handleOf(row)).catch(() => undefined);
      if (o?.result) return o.result.steps;
      if (o?.failure?.steps) return o.failure.steps;
    }
    return (await liveStatus(row))?.steps ?? [];
  }

  return { handleOf, fetchOutcome, reconcile, liveStatus, stepsOf };
}

/** Reading runs from Temporal. */
export type RunTemporal = ReturnType<typeof createRunTemporal>;
