import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Logger } from 'pino';
import { FlowValidationError } from '../nodes/validate-flow';
import { Unavailable, conflict, notFound, unprocessable } from '../shared/errors';
import { workflowIdFor, type CompiledFlow, type RunFlowInput, type RunTrigger } from '../shared/flow';
import type { PrepareSubFlowInput } from '../shared/system-activities';
import type { ExecutionRow, FlowRow, Repos } from '../storage';
import { clientStarter, type RunStart, type RunStarted, type RunStarter } from '../temporal/run-start';
import type { TemporalGate } from '../temporal/temporal-gate';
import type { Actor } from './actor';
import { createCompiledFlowCache } from './compiled-flow-cache';
import { checkInput } from './input-schema';
import { applyInputNodeDefaults } from '../shared/input-fields';

/** Body of an execute call. */
export interface ExecuteRequest {
  input_data?: unknown;
  version?: number;
  trigger?: RunTrigger;
  idempotency_key?: string;
  /**
   * Whether the engine's backlog may refuse this run (429): `{waitMs}` for a caller that waits that
   * long for the result; `false` when the caller checked it already (an event starting many flows).
   * Default: checked, without a wait.
   */
  admission?: { waitMs?: number } | false;
}

/** What starting a run did. */
export interface Launched {
  row: ExecutionRow;
  /** False when the key had been used: `row` is that earlier run. */
  created: boolean;
  /** False when Temporal could not take it now: the run is accepted (`pending`) and starts when it is back. */
  started: boolean;
}

/** What launching needs. */
export interface RunLauncherDeps {
  repos: Repos;
  client: Client;
  gate: TemporalGate;
  taskQueue: string;
  logger: Logger;
  /**
   * The starter of a worker in this process or its supervised child (eager workflow start), when
   * one is running now; runs are started through `client` otherwise.
   */
  eagerStarter?: () => RunStarter | undefined;
  /** Refuses a new run while the engine is too far behind (run-backlog.ts); absent: never. */
  admit?: (waitMs?: number) => void;
}

/** Starting runs: compiling the pinned version, indexing the run, and handing it to Temporal. */
export function createRunLauncher(deps: RunLauncherDeps) {
  const { repos, client, gate, taskQueue, logger } = deps;
  // Runs of the same flow (version) share its compiled form instead of compiling it each time.
  const compiled = createCompiledFlowCache();
  const apiStarter = clientStarter(client, taskQueue);

  function compileOr422(graph: unknown): CompiledFlow {
    try {
      return compiled.compile(graph);
    } catch (err) {
      if (err instanceof FlowValidationError) {
        throw unprocessable('flow is invalid and cannot run', Object.fromEntries(err.errors.map((e) => [e.path, e.message])));
      }
      throw err;
    }
  }

  /** The graph of `flow` at `version` (the head when absent or equal). */
  async function graphAt(flow: FlowRow, version: number | undefined): Promise<{ graph: unknown; version: number }> {
    if (version === undefined || version === flow.version) return { graph: flow, version: flow.version };
    const v = await repos.flows.getVersion(flow.id, version);
    if (!v) throw notFound(`version ${version} of workflow`);
    return { graph: v.definition, version: v.version };
  }

  /** Builds the workflow input of a run of `flow` at `version` (the head when absent). */
  async function buildInput(
    flow: FlowRow,
    version: number | undefined,
    executionId: string,
    trigger: RunTrigger,
    inputData: unknown,
  ): Promise<RunFlowInput> {
    const at = await graphAt(flow, version);
    const definition = compileOr422(at.graph);
    // Input nodes' defaults go into the run's input_data itself: every `{{ input.x }}` sees them.
    inputData = applyInputNodeDefaults(definition, inputData);
    const problems = checkInput(definition, inputData);
    if (problems) throw unprocessable('input_data does not match the input_schema or input fields of the flow', problems);
    return {
      execution_id: executionId,
      flow_id: flow.id,
      flow_version: at.version,
      owner_id: flow.owner_id,
      trigger,
      input_data: inputData,
      definition,
    };
  }

  /**
   * Hands an index row's run to Temporal; starting twice is harmless (same workflow id). When
   * Temporal cannot be reached the row stays `pending` and the reconciler starts it later, so an
   * accepted run is never lost; `started` says which happened.
   */
  async function launch(row: ExecutionRow, input: RunFlowInput, flowName: string): Promise<{ row: ExecutionRow; started: boolean }> {
    if (!gate.isUp()) return { row, started: false };
    const start: RunStart = { workflowId: row.temporal_workflow_id ?? workflowIdFor(row.id), input, summary: `${flowName} v${input.flow_version}` };
    try {
      const { runId } = await startOn(start);
      const fresh = await repos.executions.update(
        row.id,
        { status: 'running', temporal_run_id: runId, started_at: new Date().toISOString() },
        { ifStatusIn: ['pending'] },
      );
      return { row: fresh ?? (await repos.executions.get(row.id)) ?? row, started: true };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { row, started: true };
      if (err instanceof Unavailable) {
        logger.warn({ execution_id: row.id }, 'Temporal is unavailable; the run is accepted and will start when it is back');
        return { row, started: false };
      }
      throw err;
    }
  }

  /**
   * Starts through the worker of this process when there is one (eager start: its first workflow
   * task comes back with the start call), else, or when that worker cannot take it, through the
   * API's client. Starting twice is harmless: the second start finds the workflow id taken.
   */
  async function startOn(start: RunStart): Promise<RunStarted> {
    const eager = deps.eagerStarter?.();
    if (eager) {
      try {
        return await gate.call(() => eager(start));
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError || err instanceof Unavailable) throw err;
        logger.debug({ err, workflow_id: start.workflowId }, 'eager start failed; starting through the API client');
      }
    }
    return gate.call(() => apiStarter(start));
  }

  /** Starts a run of a flow the actor may see; the idempotency key is per caller and flow. */
  async function execute(actor: Actor, flowId: string, req: ExecuteRequest): Promise<Launched> {
    const flow = await repos.flows.get(flowId, { ownerId: actor.ownerId });
    if (!flow) throw notFound('workflow');
    // Keys are stored per flow owner; another caller (an admin) gets a key space of their own.
    const key = req.idempotency_key
      ? actor.userId === flow.owner_id
        ? req.idempotency_key
        : `${actor.userId}:${req.idempotency_key}`
      : undefined;
    const reuse = (existing: ExecutionRow): Launched => {
      if (existing.flow_id !== flow.id) {
        throw conflict('Idempotency-Key was already used for a run of another workflow', { execution_id: existing.id });
      }
      return { row: existing, created: false, started: existing.status !== 'pending' };
    };
    if (key) {
      const existing = await repos.executions.findByIdempotencyKey(flow.owner_id, key);
      if (existing) return reuse(existing);
    }
    if (req.admission !== false) deps.admit?.(req.admission?.waitMs);
    const id = randomUUID();
    const trigger = req.trigger ?? { type: 'manual', user_id: actor.userId };
    const input = await buildInput(flow, req.version, id, trigger, req.input_data ?? {});
    const { execution: row, created } = await repos.executions.createOrGet({
      id,
      flow_id: flow.id,
      flow_version: input.flow_version,
      owner_id: flow.owner_id,
      trigger,
      input_data: input.input_data,
      idempotency_key: key ?? null,
    });
    if (!created) return reuse(row);
    return { ...(await launch(row, input, flow.name)), created: true };
  }

  /** Loads, compiles and records a child run for a `sub-flow` node (worker side). */
  async function prepareChild(input: PrepareSubFlowInput): Promise<RunFlowInput> {
    const flow = await repos.flows.get(input.workflow_id, { ownerId: input.owner_id }).catch(() => undefined);
    if (!flow) throw notFound(`sub-flow ${input.workflow_id}`);
    const id = randomUUID();
    const trigger: RunTrigger = { type: 'sub-flow', parent_execution_id: input.parent_execution_id };
    const runInput = await buildInput(flow, input.version, id, trigger, input.input ?? {});
    await repos.executions.create({
      id,
      flow_id: flow.id,
      flow_version: runInput.flow_version,
      owner_id: flow.owner_id,
      trigger,
      input_data: runInput.input_data,
      parent_execution_id: input.parent_execution_id,
      status: 'running',
      started_at: new Date().toISOString(),
    });
    return runInput;
  }

  return { graphAt, buildInput, launch, execute, prepareChild, compileOr422 };
}

/** Starting runs. */
export type RunLauncher = ReturnType<typeof createRunLauncher>;
