import { workflowIdFor, type ExecutionStatus, type RunStatus, type RunTrigger, type StepState } from '../shared/flow';
import type { ExecutionEventRow, ExecutionRow, ItemStepRow } from '../storage';

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
  /** A retried run's step that it did not execute: the execution that did (null otherwise). */
  reused_from: string | null;
}

/** One step of a loop body's item (docs/api-runs.md, "Loop items"). */
export interface ItemStepView extends StepView {
  /** The scope key of the item's body (`each/3/`; nested loops `outer/1/inner/0/`). */
  scope: string;
  /** The innermost loop the step's body belongs to. */
  loop_node_id: string;
  /** The item's index in that loop (0-based). */
  item_index: number;
  /** The child workflow that ran the item when the loop ran in batches; null inline. */
  batch: { number: number; workflow_id: string } | null;
}

/** A page of loop-body steps, with the counts of all of them by status. */
export interface ItemStepPage {
  items: ItemStepView[];
  total: number;
  skip: number;
  limit: number;
  by_status: Partial<Record<StepState['status'], number>>;
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
  /** The detail's first page of loop-body steps (`GET /executions/{id}/item-steps` pages on). */
  item_steps?: ItemStepPage;
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
    reused_from: s.reused_from ?? null,
  };
}

/**
 * A loop item's step as the API returns it. Its input is not kept (runs report steps without
 * inputs) and its output only when the run reported it (under 16 KB of JSON).
 */
export function itemStepView(r: ItemStepRow): ItemStepView {
  return {
    node_id: r.node_id,
    node_type: r.node_type,
    label: r.label,
    status: r.status,
    attempt: r.attempt,
    input: null,
    output: r.output ?? null,
    error: (r.error as StepState['error']) ?? null,
    port: r.port,
    started_at: r.started_at,
    finished_at: r.finished_at,
    duration_ms: r.duration_ms,
    reused_from: null,
    scope: r.scope,
    loop_node_id: r.loop_node_id,
    item_index: r.item_index,
    batch: r.batch !== null && r.batch_workflow_id !== null ? { number: r.batch, workflow_id: r.batch_workflow_id } : null,
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
