import { randomUUID } from 'node:crypto';
import {
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { Logger } from 'pino';
import { compileFlow } from '../nodes/compile-flow';
import { FlowValidationError } from '../nodes/validate-flow';
import {
  RUN_FLOW,
  workflowIdFor,
  type ExecutionStatus,
  type RunFlowInput,
  type RunFlowResult,
  type RunStatus,
  type RunTrigger,
  type StepState,
} from '../shared/flow';
import { searchAttributesFor } from '../shared/search-attributes';
import type { PrepareSubFlowInput } from '../shared/system-activities';
import type { ExecutionRow, FlowRow, Repos } from '../storage';
import { SubFlowNotFound } from '../../activities/system';
import { conflict, forbidden, notFound, temporalUnavailable, unprocessable } from '../api/errors';
import type { Actor } from './flow-service';
import { checkInput } from './input-schema';

/** Statuses after which nothing changes. */
export const TERMINAL: readonly ExecutionStatus[] = ['completed', 'failed', 'cancelled', 'terminated', 'timed_out'];

/** An execution as the API returns it (DESIGN §2). */
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
  temporal: { namespace: string; workflow_id: string; run_id: string | null; ui_url: string };
  steps?: StepState[];
}

/** Body of an execute call. */
export interface ExecuteRequest {
  input_data?: unknown;
  version?: number;
  trigger?: RunTrigger;
  idempotency_key?: string;
}

/** What the run service needs. */
export interface RunServiceDeps {
  repos: Repos;
  client: Client;
  namespace: string;
  taskQueue: string;
  uiUrl: string;
  logger: Logger;
}

const TEMPORAL_STATUS: Record<string, ExecutionStatus> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
  CONTINUED_AS_NEW: 'running',
};

/** Runs: start them on Temporal, read their state from it, and steer them (pause, approve…). */
export type RunService = ReturnType<typeof createRunService>;

/**
 * Creates the run service. Temporal is the source of truth for a run; the executions table is an
 * index (ownership, listing) that this service reconciles with Temporal whenever it reads a run
 * that is not finished.
 */
export function createRunService(deps: RunServiceDeps) {
  const { repos, client, namespace, taskQueue, logger } = deps;

  const uiUrl = (workflowId: string, runId: string | null) =>
    `${deps.uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}` +
    (runId ? `/${runId}/history` : '');

  const view = (row: ExecutionRow, steps?: StepState[]): ExecutionView => {
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
      temporal: { namespace, workflow_id: wid, run_id: row.temporal_run_id, ui_url: uiUrl(wid, row.temporal_run_id) },
      ...(steps ? { steps } : {}),
    };
  };

  const handleOf = (row: ExecutionRow): WorkflowHandle =>
    client.workflow.getHandle(row.temporal_workflow_id ?? workflowIdFor(row.id));

  /** Builds the workflow input of a run of `flow` at `version` (the head when absent). */
  async function buildInput(
    flow: FlowRow,
    version: number | undefined,
    executionId: string,
    trigger: RunTrigger,
    inputData: unknown,
  ): Promise<RunFlowInput> {
    let graph: { nodes: unknown; edges: unknown } = flow;
    let flowVersion = flow.version;
    if (version !== undefined && version !== flow.version) {
      const v = await repos.flows.getVersion(flow.id, version);
      if (!v) throw notFound(`version ${version} of workflow`);
      graph = v.definition;
      flowVersion = v.version;
    }
    let definition;
    try {
      definition = compileFlow(graph);
    } catch (err) {
      if (err instanceof FlowValidationError) {
        throw unprocessable('flow is invalid and cannot run', Object.fromEntries(err.errors.map((e) => [e.path, e.message])));
      }
      throw err;
    }
    const problems = checkInput(definition, inputData);
    if (problems) throw unprocessable('input_data does not match the start node input_schema', problems);
    return {
      execution_id: executionId,
      flow_id: flow.id,
      flow_version: flowVersion,
      owner_id: flow.owner_id,
      trigger,
      input_data: inputData,
      definition,
    };
  }

  /** Starts the workflow of an index row; starting twice is harmless (same workflow id). */
  async function launch(row: ExecutionRow, input: RunFlowInput, flowName: string): Promise<ExecutionRow> {
    try {
      const handle = await client.workflow.start('runFlow', {
        taskQueue,
        workflowId: row.temporal_workflow_id ?? workflowIdFor(row.id),
        args: [input],
        typedSearchAttributes: searchAttributesFor(input),
        staticSummary: `${flowName} v${input.flow_version}`,
        memo: { execution_id: row.id },
      });
      return (
        (await repos.executions.update(
          row.id,
          { status: 'running', temporal_run_id: handle.firstExecutionRunId, started_at: new Date().toISOString() },
          { ifStatusIn: ['pending'] },
        )) ?? row
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return row;
      logger.error({ err, execution_id: row.id }, 'could not start run on Temporal');
      // The row stays `pending`: the reconciler starts it once Temporal is back, so it is not lost.
      throw temporalUnavailable('Temporal is unavailable; the run is accepted and will start when it is back');
    }
  }

  /** Reads the authoritative state from Temporal and updates the index row. */
  async function reconcile(row: ExecutionRow): Promise<{ row: ExecutionRow; result?: RunFlowResult; failure?: FailureInfo }> {
    if (TERMINAL.includes(row.status)) return { row };
    const handle = handleOf(row);
    let desc;
    try {
      desc = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { row };
      throw err;
    }
    const status = TEMPORAL_STATUS[desc.status.name] ?? 'running';
    if (status === 'running') {
      if (row.status === 'pending' || row.temporal_run_id !== desc.runId) {
        row = (await repos.executions.update(row.id, { status: 'running', temporal_run_id: desc.runId })) ?? row;
      }
      return { row };
    }
    const patch: Parameters<typeof repos.executions.update>[1] = {
      status,
      temporal_run_id: desc.runId,
      finished_at: desc.closeTime ?? new Date(),
      execution_time_ms: desc.closeTime ? desc.closeTime.getTime() - desc.startTime.getTime() : null,
    };
    let result: RunFlowResult | undefined;
    let failure: FailureInfo | undefined;
    if (status === 'completed' || status === 'failed') {
      const outcome = await fetchOutcome(handle);
      result = outcome.result;
      failure = outcome.failure;
      if (result) patch.output_data = result.output ?? null;
      if (failure) patch.error = { message: failure.message, node_id: failure.node_id ?? null, type: failure.type ?? null };
    } else {
      patch.error = { message: `run ${status}` };
    }
    row = (await repos.executions.update(row.id, patch)) ?? row;
    return { row, result, failure };
  }

  async function stepsOf(row: ExecutionRow, known?: { result?: RunFlowResult; failure?: FailureInfo }): Promise<StepState[]> {
    if (known?.result) return known.result.steps;
    if (known?.failure?.steps) return known.failure.steps;
    const handle = handleOf(row);
    if (row.status === 'completed' || row.status === 'failed') {
      const o = await fetchOutcome(handle).catch(() => undefined);
      if (o?.result) return o.result.steps;
      if (o?.failure?.steps) return o.failure.steps;
    }
    try {
      const s = await handle.query<RunStatus>(RUN_FLOW.statusQuery);
      return s.steps;
    } catch {
      return [];
    }
  }

  async function getRow(actor: Actor, id: string): Promise<ExecutionRow> {
    const row = await repos.executions.get(id, { ownerId: actor.ownerId });
    if (!row) throw notFound('execution');
    return row;
  }

  async function liveStatus(row: ExecutionRow): Promise<RunStatus | undefined> {
    if (row.status !== 'running') return undefined;
    try {
      return await handleOf(row).query<RunStatus>(RUN_FLOW.statusQuery);
    } catch {
      return undefined;
    }
  }

  return {
    view,
    reconcile,

    /** Starts a run of a flow the actor may see. */
    async execute(actor: Actor, flowId: string, req: ExecuteRequest): Promise<{ execution: ExecutionView; created: boolean }> {
      const flow = await repos.flows.get(flowId, { ownerId: actor.ownerId });
      if (!flow) throw notFound('workflow');
      if (req.idempotency_key) {
        const existing = await repos.executions.findByIdempotencyKey(flow.owner_id, req.idempotency_key);
        if (existing) return { execution: view((await reconcile(existing)).row), created: false };
      }
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
        idempotency_key: req.idempotency_key ?? null,
      });
      if (!created) return { execution: view(row), created: false };
      return { execution: view(await launch(row, input, flow.name)), created: true };
    },

    /** Waits up to `timeoutMs` for a run to finish; returns its view and whether it finished. */
    async waitFor(actor: Actor, id: string, timeoutMs: number): Promise<{ execution: ExecutionView; finished: boolean }> {
      const row = await getRow(actor, id);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
      const done = handleOf(row)
        .result()
        .then(
          () => 'done' as const,
          () => 'done' as const,
        );
      const outcome = await Promise.race([done, timeout]);
      clearTimeout(timer);
      const { row: fresh } = await reconcile(row);
      return { execution: view(fresh), finished: outcome === 'done' && TERMINAL.includes(fresh.status) };
    },

    /** A run with its per-node steps. */
    async get(actor: Actor, id: string): Promise<ExecutionView> {
      const known = await reconcile(await getRow(actor, id));
      const live = await liveStatus(known.row);
      const steps = live ? live.steps : await stepsOf(known.row, known);
      const v = view(known.row, steps);
      if (live && (live.status === 'paused' || live.status === 'waiting')) v.status = live.status;
      return v;
    },

    /** Status, progress, current nodes. */
    async status(actor: Actor, id: string) {
      const { row, result, failure } = await reconcile(await getRow(actor, id));
      const live = await liveStatus(row);
      if (live) {
        const { steps: _s, ...rest } = live;
        return rest;
      }
      const steps = await stepsOf(row, { result, failure });
      const done = steps.filter((s) => s.status !== 'pending' && s.status !== 'running' && s.status !== 'waiting');
      return {
        status: row.status,
        paused: false,
        progress: { completed: done.length, total: steps.length },
        current_nodes: [] as string[],
      };
    },

    /** Pause (`pause`), resume, cancel or terminate a run; 409 when its state does not allow it. */
    async control(actor: Actor, id: string, action: 'pause' | 'resume' | 'cancel' | 'terminate'): Promise<ExecutionView> {
      const { row } = await reconcile(await getRow(actor, id));
      if (TERMINAL.includes(row.status)) throw conflict(`run is ${row.status}`);
      const handle = handleOf(row);
      const live = await liveStatus(row);
      if (action === 'pause') {
        if (live?.paused) throw conflict('run is already paused');
        await handle.signal(RUN_FLOW.pauseSignal);
      } else if (action === 'resume') {
        if (!live?.paused) throw conflict('run is not paused');
        await handle.signal(RUN_FLOW.resumeSignal);
      } else if (action === 'cancel') {
        await handle.cancel();
      } else {
        await handle.terminate(`terminated by ${actor.userId}`);
      }
      const fresh = action === 'terminate' ? (await reconcile(row)).row : row;
      const v = view(fresh);
      if (action === 'pause') v.status = 'paused';
      if (action === 'resume') v.status = 'running';
      return v;
    },

    /** Delivers an external event to a run (a waiting `wait-event` node consumes it). */
    async deliverEvent(actor: Actor, id: string, event: { name: string; data: unknown }): Promise<void> {
      const { row } = await reconcile(await getRow(actor, id));
      if (TERMINAL.includes(row.status)) throw conflict(`run is ${row.status}`);
      await handleOf(row).signal(RUN_FLOW.eventSignal, event);
    },

    /** Decides a waiting approval node: 409 when not waiting / decided, 403 when not an approver. */
    async decide(
      actor: Actor,
      id: string,
      nodeId: string,
      req: { decision: 'approve' | 'reject'; comment?: string },
      user: { id: string; username: string; role?: string },
    ) {
      const { row } = await reconcile(await getRow(actor, id));
      if (TERMINAL.includes(row.status)) throw conflict(`run is ${row.status}`);
      try {
        return await handleOf(row).executeUpdate(RUN_FLOW.approveUpdate, {
          args: [{ node_id: nodeId, decision: req.decision, comment: req.comment, user }],
        });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
          if (err.cause.type === 'NotAllowed') throw forbidden(err.cause.message);
          throw conflict(err.cause.message);
        }
        throw err;
      }
    },

    /** Loads, compiles and records a child run for a `sub-flow` node (worker side). */
    async prepareChild(input: PrepareSubFlowInput): Promise<RunFlowInput> {
      const flow = await repos.flows.get(input.workflow_id, { ownerId: input.owner_id }).catch(() => undefined);
      if (!flow) throw new SubFlowNotFound(`sub-flow ${input.workflow_id} not found`);
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
    },

    /** Starts runs the API accepted but could not hand to Temporal, and refreshes unfinished ones. */
    async reconcileActive(limit = 100): Promise<number> {
      const rows = await repos.executions.listActive({ limit });
      let n = 0;
      for (const row of rows) {
        try {
          if (row.status === 'pending' && Date.now() - Date.parse(row.created_at) > 10_000) {
            const flow = await repos.flows.get(row.flow_id, { includeDeleted: true });
            if (flow) {
              const input = await buildInput(flow, row.flow_version, row.id, row.trigger, row.input_data);
              const exists = await handleOf(row).describe().then(() => true, () => false);
              if (!exists) await launch(row, input, flow.name);
            }
          }
          await reconcile(row);
          n++;
        } catch (err) {
          logger.warn({ err, execution_id: row.id }, 'reconcile failed');
        }
      }
      return n;
    },
  };
}

/** What a failed run's failure says. */
interface FailureInfo {
  message: string;
  type?: string;
  node_id?: string;
  steps?: StepState[];
}

async function fetchOutcome(handle: WorkflowHandle): Promise<{ result?: RunFlowResult; failure?: FailureInfo }> {
  try {
    return { result: (await handle.result()) as RunFlowResult };
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const cause = err.cause;
      if (cause instanceof ApplicationFailure) {
        const d = (cause.details?.[0] ?? {}) as { node_id?: string; steps?: StepState[] };
        return { failure: { message: cause.message, type: cause.type ?? undefined, node_id: d.node_id, steps: d.steps } };
      }
      return { failure: { message: cause?.message ?? err.message } };
    }
    throw err;
  }
}
