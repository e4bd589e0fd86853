/**
 * The flow format (docs/flow-format.md) and the shapes that cross the API ↔ Temporal boundary.
 * Bundle-safe: types and pure functions only.
 */

/** Per-node retry policy, as users write it on a node. */
export interface RetrySpec {
  max_attempts?: number;
  initial_interval_ms?: number;
  backoff_coefficient?: number;
  max_interval_ms?: number;
}

/** What a node does when it fails after its retries. */
export type OnError = 'fail' | 'continue' | 'route';

/** A node of a stored flow (normalised spelling). */
export interface FlowNode {
  id: string;
  type: string;
  label?: string;
  data: Record<string, unknown>;
  retry?: RetrySpec;
  timeout_ms?: number;
  on_error?: OnError;
  /**
   * How an activity node runs: `local` as a Temporal local activity (inside the workflow task: no
   * activity task round trip, one marker in history), `remote` as an ordinary activity, `auto`
   * (default) as its type decides (docs/flow-format.md, "Local or remote").
   */
  execution?: 'auto' | 'local' | 'remote';
  position?: { x: number; y: number };
}

/** An edge from an output port (`source_handle`, default port when absent) to a node. */
export interface FlowEdge {
  id?: string;
  source: string;
  target: string;
  source_handle?: string;
}

/** The executable part of a flow. */
export interface FlowGraph {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** How a compiled node is run by the interpreter. */
export interface NodeExec {
  /** `activity`: the node's activity (named after its type) runs it; `control`: the workflow interprets it. */
  kind: 'activity' | 'control';
  /** Output ports the node may take (besides `error` when `on_error` is `route`). */
  ports: string[];
  timeout_ms: number;
  retry: Required<RetrySpec>;
  /** Activity heartbeat timeout for long-running node types (remote activities only). */
  heartbeat_ms?: number;
  /** Runs as a local activity. Absent in definitions compiled before: those run remote, as they did. */
  local?: true;
  /** Whether the activity receives the whole run context (code nodes) instead of just its upstream input. */
  needs_context?: boolean;
  /** Top-level `data` fields passed to the activity as written, without rendering `{{ }}` (code, expressions). */
  raw_fields?: string[];
  /**
   * Where the node's templates and expressions are evaluated: `inline` in the workflow under a
   * small budget (falling back to isolated when it runs out), `isolated` in a local activity
   * (see docs/flow-format.md, "Expression budgets"). Absent in definitions compiled before this
   * existed: those evaluate inline as they always did, so their runs replay unchanged.
   */
  eval?: 'inline' | 'isolated';
  /** Context names the node's expressions read (what an isolated evaluation is sent); absent: all. */
  reads?: string[];
}

/** A node after compilation: defaults resolved from its type, so the workflow needs no registry. */
export interface CompiledNode extends FlowNode {
  exec: NodeExec;
}

/** The pinned, self-contained definition a run executes. */
export interface CompiledFlow {
  nodes: CompiledNode[];
  edges: FlowEdge[];
  /**
   * What names mean in the run's expressions. 2: `input` is the run's input everywhere, `prev` the
   * node's upstream output (templates, expressions and code alike), `trigger.data` the event or
   * webhook body or else the input. Absent (definitions compiled before): `prev` is unset, `trigger`
   * is as started, and a code node's `input` is its upstream output — so those runs replay as they ran.
   */
  semantics?: 2;
  /**
   * Loop bodies only: a second name the current item is bound to besides `item` (the loop's
   * `item_variable`, seed 001). Absent for every loop compiled before it existed.
   */
  item_variable?: string;
}

/** The trigger that started a run. */
export interface RunTrigger {
  type: 'manual' | 'api' | 'schedule' | 'event' | 'webhook' | 'retry' | 'sub-flow' | 'test';
  [key: string]: unknown;
}

/** Input of the `runFlow` workflow. */
export interface RunFlowInput {
  execution_id: string;
  flow_id: string;
  flow_version: number;
  owner_id: string;
  trigger: RunTrigger;
  input_data: unknown;
  definition: CompiledFlow;
  /** State carried across continue-as-new. */
  carried?: CarriedState;
}

/** Interpreter state carried across continue-as-new. */
export interface CarriedState {
  steps: Record<string, StepState>;
  vars: Record<string, unknown>;
  edge_state: Record<string, EdgeState>;
}

export type EdgeState = 'taken' | 'skipped';

/** Every status a step can have (the API's filters and the OpenAPI document use this list). */
export const STEP_STATUSES = ['pending', 'running', 'waiting', 'completed', 'failed', 'skipped'] as const;

export type StepStatus = (typeof STEP_STATUSES)[number];

/** Every status a run can have (the API's filters and the OpenAPI document use this list). */
export const EXECUTION_STATUSES = [
  'pending',
  'running',
  'paused',
  'waiting',
  'completed',
  'failed',
  'cancelled',
  'terminated',
  'timed_out',
] as const;

export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** What the run knows of one node. */
export interface StepState {
  node_id: string;
  node_type: string;
  label?: string;
  status: StepStatus;
  attempt: number;
  input?: unknown;
  output?: unknown;
  error?: { message: string; type?: string; details?: unknown } | null;
  /** Port taken when the node completed (condition `true`, approval `approved`…). */
  port?: string;
  started_at?: string;
  finished_at?: string;
  duration_ms?: number;
  /**
   * Set on the steps a retried run was seeded with and did not execute: the execution that ran
   * the node (the earliest one, when a retry of a retry kept it again). Only data: the interpreter
   * never reads it, so it changes no command.
   */
  reused_from?: string;
}

/** What the status query returns. */
export interface RunStatus {
  status: ExecutionStatus;
  paused: boolean;
  progress: { completed: number; total: number };
  current_nodes: string[];
  waiting_for?: WaitInfo[];
  steps: StepState[];
}

/** Something a node is waiting for; shown by the status query. */
export interface WaitInfo {
  node_id: string;
  kind: 'approval' | 'event' | 'delay';
  name?: string;
  until?: string;
  /** Approvals: the rendered approvers and instructions. */
  approvers?: string[];
  instructions?: string;
}

/** Who decides an approval (argument of the `approve` update), as the API identifies the caller. */
export interface Approver {
  id: string;
  username: string;
  /** `admin` may decide any approval, whoever the node names. */
  role?: string;
}

/** The result of a completed `runFlow`. */
export interface RunFlowResult {
  status: 'completed' | 'failed';
  output: unknown;
  error?: { message: string; node_id?: string } | null;
  steps: StepState[];
}

/** Input of every node activity. */
export interface NodeActivityInput {
  execution_id: string;
  flow_id: string;
  owner_id: string;
  node_id: string;
  node_type: string;
  label?: string;
  /** `data` with its templates already rendered. */
  data: Record<string, unknown>;
  /** The upstream output (one parent) or `{parent_id: output}` (several); the whole context for code nodes. */
  input: unknown;
  context?: Record<string, unknown>;
  /**
   * Where the node runs inside loop bodies: its graph's activity-id prefix (`each/3/`, nested
   * `outer/1/inner/0/`); absent at the top level. Only data for the activity's logs (see
   * `src/shared/step-scope.ts`); activities scheduled before it existed have none.
   */
  scope?: string;
}

/** What every node activity returns. */
export interface NodeActivityResult {
  /** Always an object with `result` (docs/flow-format.md). */
  output: Record<string, unknown> & { result: unknown };
  /** Port chosen by the node, if the node type picks one. */
  port?: string;
  attempt: number;
}

/** The run contract: workflow types, signals, updates and queries, shared by the workflows and their clients. */
export const RUN_FLOW = {
  workflow: 'runFlow',
  /** The child workflow that runs one slice of a large loop (exported by the bundle under this name). */
  loopBatchWorkflow: 'runLoopBatch',
  pauseSignal: 'pause',
  resumeSignal: 'resume',
  eventSignal: 'event',
  approveUpdate: 'approve',
  statusQuery: 'status',
  /** Workflow ids of node tests (`POST /nodes/test`): `node-test-<uuid>`. */
  nodeTestIdPrefix: 'node-test-',
} as const;

/** Search attributes the platform registers and sets on every run. */
export const SEARCH_ATTRIBUTES = {
  FlowId: 'Keyword',
  FlowVersion: 'Int',
  OwnerId: 'Keyword',
  TriggerType: 'Keyword',
} as const;

/** Workflow id of an execution (one `runFlow` per execution). */
export function workflowIdFor(executionId: string): string {
  return `run-${executionId}`;
}
