import type { ExecutionStatus, RunTrigger } from '../../shared/flow';
import type { OwnerScope, Page, PageOptions } from '../query-helpers';

/* The shapes of the run index repository (its rows, inputs and interface). */

/** A row of the run index: a projection of the run's Temporal workflow, never the authority. */
export interface ExecutionRow {
  id: string;
  flow_id: string;
  flow_version: number;
  owner_id: string;
  status: ExecutionStatus;
  trigger: RunTrigger;
  input_data: unknown;
  output_data: unknown;
  error: unknown;
  temporal_workflow_id: string | null;
  temporal_run_id: string | null;
  idempotency_key: string | null;
  parent_execution_id: string | null;
  started_at: string | null;
  finished_at: string | null;
  execution_time_ms: number | null;
  created_at: string;
  updated_at: string;
  /** When the reconciler last compared the row with Temporal. */
  checked_at?: string | null;
}

/** A run as listed, with the name of its flow (null if the flow row is gone). */
export type ExecutionListItem = ExecutionRow & { flow_name: string | null };

/** What creating a run index row takes. `temporal_workflow_id` defaults to `workflowIdFor(id)`. */
export interface NewExecution {
  id?: string;
  flow_id: string;
  flow_version: number;
  owner_id: string;
  /** Default `pending`. */
  status?: ExecutionStatus;
  trigger: RunTrigger;
  input_data?: unknown;
  idempotency_key?: string | null;
  parent_execution_id?: string | null;
  temporal_workflow_id?: string | null;
  temporal_run_id?: string | null;
  started_at?: string | Date | null;
}

/** Fields of a run that change as it progresses; `undefined` leaves a field alone, `null` clears it. */
export interface ExecutionPatch {
  status?: ExecutionStatus;
  input_data?: unknown;
  output_data?: unknown;
  error?: unknown;
  temporal_workflow_id?: string | null;
  temporal_run_id?: string | null;
  started_at?: string | Date | null;
  finished_at?: string | Date | null;
  execution_time_ms?: number | null;
}

/** Filters and paging of {@link ExecutionRepo.list}; newest runs first. */
export interface ExecutionListOptions extends PageOptions, OwnerScope {
  flowId?: string;
  status?: ExecutionStatus | ExecutionStatus[];
  /** Case-insensitive substring of the run id or its flow's name. */
  search?: string;
  /** Created at or after. */
  since?: string | Date;
  /** Created at or before. */
  until?: string | Date;
  parentExecutionId?: string;
  /** Only runs whose `trigger.type` is this (`schedule`…). */
  triggerType?: string;
}

/** The run index. */
export interface ExecutionRepo {
  /** Throws `UniqueViolationError` when the owner already used the idempotency key. */
  create(input: NewExecution): Promise<ExecutionRow>;
  /**
   * Creates the run unless the owner already has one with the same idempotency key, in which case
   * that one is returned with `created: false` (race-free: a single insert … on conflict).
   */
  createOrGet(input: NewExecution): Promise<{ execution: ExecutionRow; created: boolean }>;
  /** Creates the run unless a row with its id exists (a run reporting its own start); true when created. */
  createIfMissing(input: NewExecution & { id: string }): Promise<boolean>;
  get(id: string, scope?: OwnerScope): Promise<ExecutionRow | undefined>;
  list(options?: ExecutionListOptions): Promise<Page<ExecutionListItem>>;
  /**
   * Applies `patch` (and bumps `updated_at`). With `ifStatusIn`, only when the current status is
   * one of those, so a late projection cannot overwrite a terminal state. Undefined when no row changed.
   */
  update(
    id: string,
    patch: ExecutionPatch,
    options?: { ifStatusIn?: readonly ExecutionStatus[] },
  ): Promise<ExecutionRow | undefined>;
  /**
   * A run reported its start: its Temporal run id and start time are recorded while it is active,
   * and `pending` becomes `running`, in one statement (the run index sink, once per run).
   */
  markStarted(id: string, started: { temporal_run_id: string; started_at?: string }): Promise<void>;
  findByIdempotencyKey(ownerId: string, key: string): Promise<ExecutionRow | undefined>;
  /** Runs in a non-terminal status, oldest first, for reconciliation with Temporal. */
  listActive(options?: { limit?: number }): Promise<ExecutionRow[]>;
  /** Runs accepted but not started on Temporal, created before `createdBefore`, oldest first. */
  listPending(options: { limit: number; createdBefore: string }): Promise<ExecutionRow[]>;
  /**
   * Running, paused or waiting runs the reconciler has not compared with Temporal since
   * `checkedBefore`, least recently checked first.
   */
  listToReconcile(options: { limit: number; checkedBefore: string }): Promise<ExecutionRow[]>;
  /** Records that the reconciler compared these rows with Temporal now. */
  markChecked(ids: readonly string[]): Promise<void>;
  /**
   * The `created_at` of the oldest run that is still active or finished at or after `since`
   * (ISO time); undefined when there is none.
   */
  oldestCreatedAtActiveOrFinishedSince(since: string): Promise<string | undefined>;
  /** Runs per flow, trigger type and status (for the metrics endpoint). */
  countByFlowTriggerStatus(): Promise<{ flow_id: string; trigger_type: string; status: ExecutionStatus; n: number }[]>;
  /** Number of runs per status (statuses without runs are absent). */
  countByStatus(
    options?: OwnerScope & { flowId?: string },
  ): Promise<Partial<Record<ExecutionStatus, number>>>;
}
