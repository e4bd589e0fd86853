import type { StepState } from '../shared/flow';
import type { Repos } from '../storage';
import type { Actor } from './actor';
import type { ExecutedNodeTest, NodeTestResult, PreparedNodeTest } from './node-test';
import type { StepView } from './run-views';

/* The shapes of the flow node service: what it needs, what it answers, and the node events it reads. */

/** What reading and testing a flow's nodes needs. */
export interface FlowNodeDeps {
  repos: Repos;
  /** A run's top-level steps, as `GET /executions/{id}` shows them. */
  stepsOf(actor: Actor, executionId: string): Promise<StepView[]>;
  /** Runs a prepared node test through Temporal. */
  execute(actor: Actor, test: PreparedNodeTest): Promise<ExecutedNodeTest>;
}

/** Where a node's input or output was found. */
export interface NodeDataSource {
  /** `execution`: a run of the flow; `test`: a stored node test; null: the node never ran. */
  source: 'execution' | 'test' | null;
  execution_id: string | null;
  test_id: string | null;
  /** The step's status in that run (`running`, `completed`, `failed`…), or the test's outcome. */
  status: string | null;
  /** When the node started (input) or finished (output) there. */
  at: string | null;
}

/** `GET /workflows/{id}/nodes/{node_id}/input`. */
export interface NodeInputView extends NodeDataSource {
  workflow_id: string;
  node_id: string;
  node_type: string;
  ran: boolean;
  /** What reached the node: its upstream node's output (`{parent: output}` for several), or the run input when none. */
  input_data: unknown;
  /** The node's data as rendered for that run (the step's `input` in `GET /executions/{id}`). */
  rendered_input: unknown;
}

/** `GET /workflows/{id}/nodes/{node_id}/output`. */
export interface NodeOutputView extends NodeDataSource {
  workflow_id: string;
  node_id: string;
  node_type: string;
  ran: boolean;
  output_data: unknown;
  error: StepState['error'];
  /** The output port the node took (`default`, `true`…). */
  port: string | null;
}

/** Body of `POST /workflows/{id}/nodes/{node_id}/test` (seed 003's "execute and save node"). */
export interface StoredNodeTestRequest {
  /** Fields laid over the node's stored `data` for this test only (the flow is not changed). */
  form_values?: Record<string, unknown>;
  /** The node's input: its upstream output (`{parent: output}` with several upstream nodes), or the run input when it has none. */
  input_data?: unknown;
  session_id?: string;
  timeout_ms?: number;
}

/** What a stored node test answers. */
export interface StoredNodeTestView extends NodeTestResult {
  id: string;
  workflow_id: string;
  workflow_version: number;
  node_id: string;
  node_type: string;
  form_values: Record<string, unknown>;
  input_data: unknown;
  rendered_input: unknown;
  session_id: string | null;
  created_at: string;
}

/** Events that show a node ran (an input exists). */
export const RAN_EVENTS = ['node_started', 'node_waiting', 'node_completed', 'node_failed'];
/** Events that show a node settled (an output exists). */
export const SETTLED_EVENTS = ['node_completed', 'node_failed'];
