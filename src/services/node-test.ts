import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { compileFlow } from '../nodes/compile-flow';
import { getNodeDefinition } from '../nodes/registry';
import { FlowValidationError } from '../nodes/validate-flow';
import { RUN_FLOW, type CompiledFlow, type RunFlowInput, type RunFlowResult, type StepState } from '../shared/flow';
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
  if (UNTESTABLE[def.type])
    throw unprocessable('node type cannot be tested alone', { type: `${def.type} ${UNTESTABLE[def.type]}` });
  try {
    // One attempt: a debugging run should report the first failure, not retry it for minutes.
    return compileFlow({
      nodes: [{ id: TEST_NODE_ID, type: req.type, data: req.data ?? {}, retry: { max_attempts: 1 } }],
      edges: [],
    });
  } catch (err) {
    if (err instanceof FlowValidationError) {
      const details: Record<string, string> = {};
      for (const e of err.errors) details[e.path.replace(/^nodes\[0\]\.?/, '') || 'data'] ??= e.message;
      throw unprocessable('node data is invalid', details);
    }
    throw err;
  }
}

/** The step of the test node, from the result or the failure of its run. */
function stepOf(outcome: { result?: RunFlowResult; steps?: StepState[] }): StepState | undefined {
  return (outcome.result?.steps ?? outcome.steps ?? []).find((s) => s.node_id === TEST_NODE_ID);
}

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
  const definition = compileTestFlow(req);
  const id = randomUUID();
  const workflowId = `node-test-${id}`;
  const timeoutMs = req.timeout_ms ?? DEFAULT_NODE_TEST_TIMEOUT_MS;
  const input: RunFlowInput = {
    execution_id: id,
    flow_id: NODE_TEST_FLOW_ID,
    flow_version: 0,
    owner_id: actor.userId,
    trigger: { type: 'test', user_id: actor.userId },
    input_data: req.input ?? {},
    definition,
  };
  const started = Date.now();
  const handle = await deps.gate.call(() =>
    deps.client.workflow.start(RUN_FLOW.workflow, {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [input],
      typedSearchAttributes: searchAttributesFor(input),
      workflowExecutionTimeout: timeoutMs,
      staticSummary: `node test: ${definition.nodes[0].type}`,
    }),
  );

  let step: StepState | undefined;
  let runError: NodeTestResult['error'] = null;
  try {
    step = stepOf({ result: (await handle.result()) as RunFlowResult });
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) {
      step = stepOf({ steps: (cause.details?.[0] as { steps?: StepState[] } | undefined)?.steps });
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
  };
}
