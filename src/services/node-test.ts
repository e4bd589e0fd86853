import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { compileFlow } from '../nodes/compile-flow';
import { getNodeDefinition } from '../nodes/registry';
import { FlowValidationError } from '../nodes/validate-flow';
import { RUN_FLOW, type CarriedState, type CompiledFlow, type FlowGraph, type RunFlowInput, type RunFlowResult, type StepState } from '../shared/flow';
import { searchAttributesFor } from '../shared/search-attributes';
import type { Repos } from '../storage';
import type { TemporalGate } from '../temporal/temporal-gate';
import { unprocessable } from '../shared/errors';
import type { Actor } from './actor';

/** Body of `POST /nodes/test`. */
export interface NodeTestRequest {
  type: string;
  data?: Record<string, unknown>;
  /** The node's upstream input (also `{{ input }}` in templates). */
  input?: unknown;
  /** How long the test run may take (default {@link DEFAULT_NODE_TEST_TIMEOUT_MS}). */
  timeout_ms?: number;
}

/** What a node test returns. */
export interface NodeTestResult {
  success: boolean;
  output: unknown;
  error: { message: string; type?: string; details?: unknown } | null;
  /** Port the node took (`true`/`false` for a condition…). */
  port: string | null;
  attempt: number;
  logs: { level: string; message: string; timestamp: string; duration_ms: number | null; data: unknown }[];
  duration_ms: number;
  temporal: { workflow_id: string; run_id: string };
}

/** What a node test needs. */
export interface NodeTestDeps {
  client: Client;
  gate: TemporalGate;
  taskQueue: string;
  repos: Repos;
  logger: Logger;
}

export const DEFAULT_NODE_TEST_TIMEOUT_MS = 30_000;
/** Id of the node inside the one-node test flow. */
export const TEST_NODE_ID = 'node';
/** `flow_id` (and FlowId search attribute) of test runs: they belong to no stored flow. */
export const NODE_TEST_FLOW_ID = 'node-test';

/** Types that wait for something outside the run, or run another flow: they cannot be tested alone. */
const UNTESTABLE: Record<string, string> = {
  approval: 'waits for a human decision',
  'wait-event': 'waits for an external event',
  'sub-flow': 'runs another workflow; execute that workflow instead',
};

function compileTestFlow(req: NodeTestRequest): CompiledFlow {
  const def = getNodeDefinition(req.type);
  if (!def) throw unprocessable('unknown node type', { type: `Unknown node type "${req.type}"` });
  assertTestable(def.type);
  // One attempt: a debugging run should report the first failure, not retry it for minutes.
  return compileTestGraph({
    nodes: [{ id: TEST_NODE_ID, type: req.type, data: req.data ?? {}, retry: { max_attempts: 1 } }],
    edges: [],
  });
}

/** Compiles a test's flow, whose first node is the tested one: its invalid fields are a 422 (`details["data.<field>"]`). */
export function compileTestGraph(graph: FlowGraph): CompiledFlow {
  try {
    return compileFlow(graph);
  } catch (err) {
    if (err instanceof FlowValidationError) {
      const details: Record<string, string> = {};
      for (const e of err.errors) details[e.path.replace(/^nodes\[0\]\.?/, '') || 'data'] ??= e.message;
      throw unprocessable('node data is invalid', details);
    }
    throw err;
  }
}

/** The step of the tested node, from the result or the failure of its run. */
function stepOf(outcome: { result?: RunFlowResult; steps?: StepState[] }, nodeId: string): StepState | undefined {
  return (outcome.result?.steps ?? outcome.steps ?? []).find((s) => s.node_id === nodeId);
}

/** A test run ready to start: a compiled flow in which one node runs (see {@link executeNodeTest}). */
export interface PreparedNodeTest {
  definition: CompiledFlow;
  /** The node whose outcome is reported. */
  nodeId: string;
  flowId: string;
  flowVersion: number;
  /** Whose credentials, data sources and tools the node uses. */
  ownerId: string;
  /** The run input (`{{ input }}`, and the node's input when it has no upstream node). */
  inputData: unknown;
  /** Upstream nodes seeded as already settled: their outputs are the node's context. */
  carried?: CarriedState;
  timeoutMs: number;
}

/** What a node test returns, plus the input the node saw. */
export type ExecutedNodeTest = NodeTestResult & { input: unknown };

/**
 * Runs one node as a one-node flow on the platform's task queue (a real `runFlow` workflow, so
 * activities, retries and timeouts behave as in a flow). The run gets the workflow id
 * `node-test-<uuid>` and trigger type `test`, is visible in the Temporal Web UI, and is not
 * indexed in the executions table; its log lines are returned and then removed from the log table.
 */
export async function runNodeTest(
  deps: NodeTestDeps,
  actor: Actor,
  req: NodeTestRequest,
): Promise<NodeTestResult> {
  const { input: _input, ...result } = await executeNodeTest(deps, actor, {
    definition: compileTestFlow(req),
    nodeId: TEST_NODE_ID,
    flowId: NODE_TEST_FLOW_ID,
    flowVersion: 0,
    ownerId: actor.userId,
    inputData: req.input ?? {},
    timeoutMs: req.timeout_ms ?? DEFAULT_NODE_TEST_TIMEOUT_MS,
  });
  return result;
}

/** Refuses node types that cannot run alone (422 naming the type). */
export function assertTestable(type: string): void {
  const def = getNodeDefinition(type);
  if (def && UNTESTABLE[def.type])
    throw unprocessable('node type cannot be tested alone', { type: `${def.type} ${UNTESTABLE[def.type]}` });
}

/** Runs a prepared test (see {@link runNodeTest}); the run is never indexed and its logs are removed. */
export async function executeNodeTest(
  deps: NodeTestDeps,
  actor: Actor,
  test: PreparedNodeTest,
): Promise<ExecutedNodeTest> {
  const { definition, nodeId, timeoutMs } = test;
  const id = randomUUID();
  const workflowId = `${RUN_FLOW.nodeTestIdPrefix}${id}`;
  const input: RunFlowInput = {
    execution_id: id,
    flow_id: test.flowId,
    flow_version: test.flowVersion,
    owner_id: test.ownerId,
    trigger: { type: 'test', user_id: actor.userId },
    input_data: test.inputData,
    definition,
    ...(test.carried ? { carried: test.carried } : {}),
  };
  const tested = definition.nodes.find((n) => n.id === nodeId);
  const started = Date.now();
  const handle = await deps.gate.call(() =>
    deps.client.workflow.start(RUN_FLOW.workflow, {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [input],
      typedSearchAttributes: searchAttributesFor(input),
      workflowExecutionTimeout: timeoutMs,
      staticSummary: `node test: ${tested?.type ?? nodeId}`,
    }),
  );

  let step: StepState | undefined;
  let runError: NodeTestResult['error'] = null;
  try {
    step = stepOf({ result: (await handle.result()) as RunFlowResult }, nodeId);
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) {
      step = stepOf({ steps: (cause.details?.[0] as { steps?: StepState[] } | undefined)?.steps }, nodeId);
      runError = { message: cause.message, type: cause.type ?? undefined };
    } else {
      runError = {
        message:
          cause?.name === 'TimeoutFailure'
            ? `node did not finish within ${timeoutMs} ms`
            : (cause?.message ?? err.message),
        type: cause?.name,
      };
    }
  }
  const duration = Date.now() - started;

  const logs = await deps.repos.logs.list(id, { limit: 100 });
  await deps.repos.logs
    .deleteByExecution(id)
    .catch((err) => deps.logger.warn({ err }, 'could not remove node test logs'));
  const success = step?.status === 'completed';
  return {
    success,
    output: success ? (step?.output ?? null) : null,
    error: success ? null : (step?.error ?? runError ?? { message: 'node did not run' }),
    port: step?.port ?? null,
    attempt: step?.attempt ?? 0,
    logs: logs.items.map((l) => ({
      level: l.level,
      message: l.message,
      timestamp: l.timestamp,
      duration_ms: l.duration_ms,
      data: l.data,
    })),
    duration_ms: step?.duration_ms ?? duration,
    temporal: { workflow_id: workflowId, run_id: handle.firstExecutionRunId },
    input: step?.input ?? null,
  };
}
