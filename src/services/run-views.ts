import { workflowIdFor, type ExecutionStatus, type RunStatus, type RunTrigger, type StepState } from '../shared/flow';
import type { ExecutionEventRow, ExecutionRow } from '../storage';

/** One node of a run as the API returns it: every field present, `null` when unknown. */
export interface StepView {
  node_id: string;
  node_type: string;
  label: string | null;
  status: StepState['status'];
  attempt: number;
  input: unknown;
  output: unknown;
  error: StepState['error'];
  /** Output port the node took (`true`/`false`, `approved`…), null until it completes. */
  port: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
}

/** An execution as the API returns it (docs/api.md). */
export interface ExecutionView {
  id: string;
  workflow_id: string;
  workflow_version: number;
  status: ExecutionStatus;
  trigger: RunTrigger;
  input_data: unknown;
  output_data: unknown;
  error: unknown;
  parent_execution_id: string | null;
  started_at: string | null;
  finished_at: string | null;
  execution_time_ms: number | null;
  created_at: string;
  temporal: { namespace: string; workflow_id: string; run_id: string | null; ui_url: string; reachable?: false };
  /** Set while the run makes no progress because its workflow task keeps failing. */
  problem?: { kind: 'workflow_task_failing'; attempts: number; message: string | null };
  steps?: StepView[];
}

/** `GET /executions/{id}/status`. */
export interface StatusView {
  status: ExecutionStatus;
  problem?: ExecutionView['problem'];
  paused: boolean;
  progress: { completed: number; total: number };
  current_nodes: string[];
  waiting_for?: RunStatus['waiting_for'];
}

/** A step with every API field present. */
export function stepView(s: StepState): StepView {
  return {
    node_id: s.node_id,
    node_type: s.node_type,
    label: s.label ?? null,
    status: s.status,
    attempt: s.attempt,
    input: s.input ?? null,
    output: s.output ?? null,
    error: s.error ?? null,
    port: s.port ?? null,
    started_at: s.started_at ?? null,
    finished_at: s.finished_at ?? null,
    duration_ms: s.duration_ms ?? null,
  };
}

/** Settled and total steps. */
export function progressOf(steps: { status: StepState['status'] }[]): { completed: number; total: number } {
  const done = steps.filter((s) => s.status !== 'pending' && s.status !== 'running' && s.status !== 'waiting');
  return { completed: done.length, total: steps.length };
}

/**
 * The top-level steps a run has reported (its live event log), for when Temporal cannot be asked:
 * the last transition of each node, without inputs (and without outputs over the event size).
 */
export function stepsFromEvents(events: ExecutionEventRow[]): StepState[] {
  const steps = new Map<string, StepState>();
  for (const e of events) {
    const step = (e.data as { step?: StepState & { scope?: string } }).step;
    if (!step || step.scope) continue;
    steps.set(step.node_id, step);
  }
  return [...steps.values()];
}

/** Builds execution views: where the Temporal Web UI shows a run. */
export function createViews(deps: { namespace: string; uiUrl: string }) {
  const uiUrl = (workflowId: string, runId: string | null) =>
    `${deps.uiUrl}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(workflowId)}` +
    (runId ? `/${runId}/history` : '');

  /** The API view of an index row (with its steps when given). */
  return function view(row: ExecutionRow, steps?: StepState[]): ExecutionView {
    const wid = row.temporal_workflow_id ?? workflowIdFor(row.id);
    return {
      id: row.id,
      workflow_id: row.flow_id,
      workflow_version: row.flow_version,
      status: row.status,
      trigger: row.trigger,
      input_data: row.input_data,
      output_data: row.output_data,
      error: row.error,
      parent_execution_id: row.parent_execution_id,
      started_at: row.started_at,
      finished_at: row.finished_at,
      execution_time_ms: row.execution_time_ms,
      created_at: row.created_at,
      temporal: { namespace: deps.namespace, workflow_id: wid, run_id: row.temporal_run_id, ui_url: uiUrl(wid, row.temporal_run_id) },
      ...(steps ? { steps: steps.map(stepView) } : {}),
    };
  };
}

/** An execution view function. */
export type ViewFn = ReturnType<typeof createViews>;
