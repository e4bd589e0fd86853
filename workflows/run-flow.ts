/**
 * `runFlow`: the one generic interpreter workflow. It executes any compiled flow definition.
 *
 * Determinism rule: a change here or in any module this file imports that alters the commands a
 * run issues (activities, timers, child workflows, their order or options) must keep old runs
 * replayable: gate the new behaviour with `patched('<short-id>')` (and later
 * `deprecatePatch`) so histories recorded before the change replay the old way. The replay test
 * (`test/workflows/replay.test.ts`) replays committed histories from `test/fixtures/histories/`
 * against this code in CI; record a new fixture for every node type or behaviour you add.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  RUN_FLOW,
  type CompiledFlow,
  type ExecutionStatus,
  type RunFlowInput,
  type RunFlowResult,
  type RunStatus,
} from '../src/shared/flow';
import { FAILURE, runFailure } from './errors';
import { executeNode } from './execute-node';
import { GraphRunner, type GraphResult } from './graph-runner';
import { resolveRunInput } from './run-input';
import { RunState, type ApprovalDecision, type ApprovalRequest, type RunEvent } from './run-state';

export { pauseSignal, resumeSignal } from './run-state';
export const eventSignal = defineSignal<[RunEvent]>(RUN_FLOW.eventSignal);
export const approveUpdate = defineUpdate<ApprovalDecision, [ApprovalRequest]>(RUN_FLOW.approveUpdate);
export const statusQuery = defineQuery<RunStatus>(RUN_FLOW.statusQuery);

/** How long an approval update waits for its node to be reached before it is refused (409). */
const APPROVAL_REACH_TIMEOUT_MS = 2_000;

const VALIDATOR_FAILURES: Record<string, string> = {
  not_waiting: FAILURE.notWaiting,
  not_allowed: FAILURE.notAllowed,
  bad_request: FAILURE.badRequest,
};

/** Executes a flow definition durably. See the module comment for the determinism rule. */
export async function runFlow(started: RunFlowInput): Promise<RunFlowResult> {
  const input = resolveRunInput(started);
  const run = new RunState(input);
  let finalStatus: ExecutionStatus | undefined;

  checkDefinition(input.definition);
  const context: Record<string, unknown> = {
    // `trigger.data` is the event or webhook body, or else the run's input (seed 002's {{trigger.data}}).
    trigger: input.definition.semantics
      ? { ...input.trigger, data: input.trigger.data ?? input.input_data }
      : input.trigger,
    input: input.input_data,
    execution: {
      id: input.execution_id,
      flow_id: input.flow_id,
      flow_version: input.flow_version,
      workflow_id: workflowInfo().workflowId,
    },
    vars: {},
  };
  const runner = new GraphRunner(input.definition, context, {
    run,
    execute: executeNode,
    scopeKey: '',
    carried: input.carried,
    allowContinueAsNew: true,
  });

  run.handlePauseSignals();
  setHandler(eventSignal, (event) => run.deliverEvent(event));
  setHandler(statusQuery, () => statusOf(runner, run, finalStatus));
  const asFailure = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      const e = err as Error & { code?: string };
      throw ApplicationFailure.create({
        message: e.message,
        type: VALIDATOR_FAILURES[e.code ?? ''] ?? FAILURE.badRequest,
        nonRetryable: true,
      });
    }
  };
  // An approval node that is not settled may simply not have been re-entered yet: a worker that
  // takes over a run receives the update in the same activation that rebuilds the run's state.
  const mayStillWait = (nodeId: string) => {
    const step = runner.steps[nodeId];
    return !!step && step.node_type === 'approval' && ['pending', 'running', 'waiting'].includes(step.status);
  };
  setHandler(
    approveUpdate,
    async (req) => {
      if (!run.approvals.has(req.node_id)) {
        await condition(
          () => run.approvals.has(req.node_id) || !mayStillWait(req.node_id),
          APPROVAL_REACH_TIMEOUT_MS,
        );
      }
      asFailure(() => run.validateApproval(req));
      return run.decide(req, new Date().toISOString());
    },
    {
      validator: (req) => {
        if (!run.approvals.has(req.node_id) && mayStillWait(req.node_id)) return;
        asFailure(() => run.validateApproval(req));
      },
    },
  );

  const report = run.reporter;
  // With the start and with the end: the index takes the run's duration from them.
  const started_at = workflowInfo().startTime.toISOString();
  // What the end tells the index besides: whether the run could have left approvals pending.
  const ending = { started_at, ...(hasApprovalNode(input.definition) ? {} : { approvals: false }) };
  report.report('execution_started', 'running', {
    started_at,
    // A run that named itself (a schedule's) has no index row yet: its report creates it.
    ...(started.execution_id
      ? {}
      : {
          run: {
            flow_id: input.flow_id,
            flow_version: input.flow_version,
            owner_id: input.owner_id,
            trigger: input.trigger,
            input_data: input.input_data,
            parent_execution_id: (input.trigger.parent_execution_id as string | undefined) ?? null,
            workflow_id: workflowInfo().workflowId,
          },
        }),
  });
  let result: GraphResult;
  try {
    result = await runner.execute();
  } catch (err) {
    if (isCancellation(err))
      report.report('execution_cancelled', 'cancelled', { ...ending, error: { message: 'run cancelled' } });
    throw err;
  }
  const steps = Object.values(runner.steps);
  const fail = (message: string, type: string, nodeId: string, details: Record<string, unknown>) => {
    finalStatus = 'failed';
    report.report('execution_failed', 'failed', { ...ending, error: { message, node_id: nodeId, type } });
    return runFailure(message, type, { node_id: nodeId, ...details, steps });
  };
  switch (result.kind) {
    case 'continue-as-new':
      return continueAsNew<typeof runFlow>({ ...input, carried: result.carried });
    case 'completed':
    case 'terminated':
      if (result.kind === 'terminated' && result.status === 'failed') {
        throw fail(
          result.message ?? `terminated by node ${result.nodeId}`,
          FAILURE.terminated,
          result.nodeId,
          {},
        );
      }
      finalStatus = 'completed';
      report.report('execution_completed', 'completed', { ...ending, output_data: result.output ?? null });
      return { status: 'completed', output: result.output, error: null, steps };
    case 'failed':
      throw fail(`node ${result.nodeId} failed: ${result.error.message}`, FAILURE.nodeFailed, result.nodeId, {
        error: result.error,
      });
  }
}

/**
 * A definition that reaches the worker broken fails the run at once with a readable,
 * non-retryable error naming the node, instead of a workflow task that retries forever.
 */
function checkDefinition(def: CompiledFlow | undefined): void {
  if (!def || !Array.isArray(def.nodes) || !Array.isArray(def.edges)) {
    throw runFailure('flow definition must have nodes and edges arrays', FAILURE.invalidDefinition);
  }
  const ids = new Set<string>();
  def.nodes.forEach((n, i) => {
    const where = n && typeof n.id === 'string' ? `node ${n.id}` : `nodes[${i}]`;
    if (!n || typeof n.id !== 'string' || !n.id)
      throw runFailure(`${where}: missing id`, FAILURE.invalidDefinition);
    if (ids.has(n.id)) throw runFailure(`${where}: duplicate id`, FAILURE.invalidDefinition);
    ids.add(n.id);
    if (typeof n.type !== 'string') throw runFailure(`${where}: missing type`, FAILURE.invalidDefinition);
    if (!n.exec || (n.exec.kind !== 'activity' && n.exec.kind !== 'control')) {
      throw runFailure(`${where}: not compiled (exec missing)`, FAILURE.invalidDefinition);
    }
    if (n.data === null || typeof n.data !== 'object') {
      throw runFailure(`${where}: data must be an object`, FAILURE.invalidDefinition);
    }
    // A loop without a body yields its items (seed 001's loop config).
    if (n.type === 'loop' && n.data.body !== undefined) checkDefinition(n.data.body as CompiledFlow);
  });
  def.edges.forEach((e, i) => {
    if (!e || !ids.has(e.source) || !ids.has(e.target)) {
      throw runFailure(
        `edges[${i}]: connects unknown node ${e && !ids.has(e.source) ? e.source : e?.target}`,
        FAILURE.invalidDefinition,
      );
    }
  });
}

/** Whether a definition holds an approval node, in loop bodies too (a sub-flow is a run of its own). */
export function hasApprovalNode(def: CompiledFlow): boolean {
  return def.nodes.some((n) => n.type === 'approval' || (n.type === 'loop' && n.data.body !== undefined && hasApprovalNode(n.data.body as CompiledFlow)));
}

function statusOf(runner: GraphRunner, run: RunState, finalStatus?: ExecutionStatus): RunStatus {
  const steps = Object.values(runner.steps);
  const completed = steps.filter(
    (s) => s.status !== 'pending' && s.status !== 'running' && s.status !== 'waiting',
  );
  const current = runner.currentNodes();
  const waiting = [...run.waiting.values()];
  let status: ExecutionStatus = finalStatus ?? 'running';
  if (!finalStatus) {
    if (run.paused) status = 'paused';
    else if (current.length > 0 && waiting.length >= current.length) status = 'waiting';
  }
  return {
    status,
    paused: run.paused,
    progress: { completed: completed.length, total: steps.length },
    current_nodes: current,
    ...(waiting.length ? { waiting_for: waiting } : {}),
    steps,
  };
}
