/**
 * What a run reports about itself as it goes (docs/engine.md: the run index and the live events are a
 * projection of Temporal, written by the runs). The interpreter emits one {@link RunTransition}
 * per start, node transition, pause and end through a Temporal *sink*: sinks run in the worker
 * after each workflow activation, are not part of history and are not called while a run is
 * replayed, so a replay or a retried workflow task never reports twice; each transition also
 * carries a key (`run_id:seq`) that the index stores once. Bundle-safe: types and names only.
 */
import type { Sinks } from '@temporalio/workflow';
import type { ExecutionStatus, RunTrigger, StepState } from './flow';

/** Live event types of docs/api.md that runs report (plus `execution_started`). */
export type TransitionType =
  | 'execution_started'
  | 'node_started'
  | 'node_completed'
  | 'node_failed'
  | 'node_skipped'
  | 'node_waiting'
  | 'approval_reminder'
  | 'execution_paused'
  | 'execution_resumed'
  | 'execution_completed'
  | 'execution_failed'
  | 'execution_cancelled';

/** One transition of a run. */
export interface RunTransition {
  /** The run (execution) it belongs to; loop batches report for the run that started them. */
  execution_id: string;
  /** Temporal run id of the workflow that reported it, and its sequence number there: the key. */
  run_id: string;
  seq: number;
  type: TransitionType;
  /** Workflow time of the transition. */
  at: string;
  /** The run's status right after the transition; absent from loop batches, which cannot tell. */
  status?: ExecutionStatus;
  /**
   * Node transitions: the step as the run knows it (its output only when small), with the scope
   * key of a loop body's item and, from a loop batch, which batch ran it.
   */
  step?: StepState & { scope?: string; batch?: LoopBatchTag };
  /** `execution_started` and the terminal transitions: when the run's workflow (chain) started. */
  started_at?: string;
  /** `execution_started`: what the index needs to list a run the API did not start (schedules). */
  run?: {
    flow_id: string;
    flow_version: number;
    owner_id: string;
    trigger: RunTrigger;
    input_data: unknown;
    parent_execution_id: string | null;
    /** The Temporal workflow id (a schedule names runs `<prefix>-<scheduled time>`). */
    workflow_id?: string;
  };
  /**
   * Terminal transitions: `false` when the flow (loop bodies included) has no approval node, so the
   * run has no pending approval to remove. Not part of the stored event.
   */
  approvals?: boolean;
  /** Terminal transitions: the run's result or failure. */
  output_data?: unknown;
  error?: { message: string; node_id?: string | null; type?: string | null } | null;
  /** `node_waiting` and `approval_reminder`: what the node waits for. */
  waiting_for?: unknown;
  /** `approval_reminder`: which of the node's `reminders_ms` came due (1-based) and how many it has. */
  reminder?: { number: number; of: number; after_ms: number };
}

/** Which `runLoopBatch` child ran a loop item: its number in the loop (0-based) and its workflow id. */
export interface LoopBatchTag {
  number: number;
  workflow_id: string;
}

/** The sinks the worker injects and the interpreter reports through (see `src/worker/run-index-sink.ts`). */
export interface FlowSinks extends Sinks {
  /** The transitions a run reported during one workflow activation, in order: one call per activation. */
  runIndex: { record(transitions: RunTransition[]): void };
}

/** Step outputs larger than this (JSON characters, estimated) are left out of transitions. */
export const MAX_TRANSITION_OUTPUT = 16_384;
