import { randomUUID } from 'node:crypto';
import {
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/common';
import type { Logger } from 'pino';
import { compileFlow } from '../nodes/compile-flow';
import { FlowValidationError } from '../nodes/validate-flow';
import {
  RUN_FLOW,
  workflowIdFor,
  type CompiledFlow,
  type ExecutionStatus,
  type RunFlowInput,
  type RunFlowResult,
  type RunStatus,
  type RunTrigger,
  type StepState,
} from '../shared/flow';
import { searchAttributesFor } from '../shared/search-attributes';
import type { PrepareSubFlowInput } from '../shared/system-activities';
import { TERMINAL_EXECUTION_STATUSES, type ExecutionRow, type FlowRow, type Repos } from '../storage';
import { SubFlowNotFound } from '../../activities/system';
import { conflict, forbidden, notFound, temporalUnavailable, unprocessable } from '../api/errors';
import type { Actor } from './flow-service';
import { checkInput } from './input-schema';
import {
  isStaticApprover,
  listPendingApprovals,
  type ApprovalListOptions,
  type Approver,
} from './pending-approvals';
import { nodeFingerprint, planRetry } from './retry-plan';
import { watchRun, type LiveEvent, type RunSnapshot } from './run-events';
import { runNodeTest, type NodeTestRequest } from './node-test';

/** Statuses after which nothing changes. */
const TERMINAL = TERMINAL_EXECUTION_STATUSES;
/** Statuses of a run that Temporal is executing (the live status query answers for these). */
const LIVE: readonly ExecutionStatus[] = ['running', 'paused', 'waiting'];

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
}

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
  steps?: StepView[];
}

/** `GET /executions/{id}/status`. */
export interface StatusView {
  status: ExecutionStatus;
  paused: boolean;
  progress: { completed: number; total: number };
  current_nodes: string[];
  waiting_for?: RunStatus['waiting_for'];
}

/** Body of an execute call. */
export interface ExecuteRequest {
  input_data?: unknown;
  version?: number;
  trigger?: RunTrigger;
  idempotency_key?: string;
}

/** Body of a retry call. */
export interface RetryRequest {
  from_node?: string;
  use_latest_version?: boolean;
}

/** What the run service needs. */
export interface RunServiceDeps {
  repos: Repos;
  client: Client;
  namespace: string;
  taskQueue: string;
  uiUrl: string;
  logger: Logger;
  /** How often live watchers poll a running run (default 250 ms). */
  watchIntervalMs?: number;
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

/** How long cancel waits for the run to close before answering with its current state. */
const CANCEL_SETTLE_MS = 3_000;

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
  };
}

function progressOf(steps: StepState[]): { completed: number; total: number } {
  const done = steps.filter(
    (s) => s.status !== 'pending' && s.status !== 'running' && s.status !== 'waiting',
  );
  return { completed: done.length, total: steps.length };
}

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
      temporal: {
        namespace,
        workflow_id: wid,
        run_id: row.temporal_run_id,
        ui_url: uiUrl(wid, row.temporal_run_id),
      },
      ...(steps ? { steps: steps.map(stepView) } : {}),
    };
  };

  const handleOf = (row: ExecutionRow): WorkflowHandle =>
    client.workflow.getHandle(row.temporal_workflow_id ?? workflowIdFor(row.id));

  function compileOr422(graph: unknown): CompiledFlow {
    try {
      return compileFlow(graph);
    } catch (err) {
      if (err instanceof FlowValidationError) {
        throw unprocessable(
          'flow is invalid and cannot run',
          Object.fromEntries(err.errors.map((e) => [e.path, e.message])),
        );
      }
      throw err;
    }
  }

  /** The graph of `flow` at `version` (the head when absent or equal). */
  async function graphAt(
    flow: FlowRow,
    version: number | undefined,
  ): Promise<{ graph: unknown; version: number }> {
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
    const problems = checkInput(definition, inputData);
    if (problems) throw unprocessable('input_data does not match the start node input_schema', problems);
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
          {
            status: 'running',
            temporal_run_id: handle.firstExecutionRunId,
            started_at: new Date().toISOString(),
          },
          { ifStatusIn: ['pending'] },
        )) ?? row
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return row;
      logger.error({ err, execution_id: row.id }, 'could not start run on Temporal');
      // The row stays `pending`: the reconciler starts it once Temporal is back, so it is not lost.
      throw temporalUnavailable(
        'Temporal is unavailable; the run is accepted and will start when it is back',
      );
    }
  }

  /** Reads the authoritative state from Temporal and updates the index row. */
  async function reconcile(
    row: ExecutionRow,
  ): Promise<{ row: ExecutionRow; result?: RunFlowResult; failure?: FailureInfo }> {
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
        row =
          (await repos.executions.update(row.id, {
            status: row.status === 'pending' ? 'running' : undefined,
            temporal_run_id: desc.runId,
          })) ?? row;
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
      if (failure)
        patch.error = {
          message: failure.message,
          node_id: failure.node_id ?? null,
          type: failure.type ?? null,
        };
    } else {
      patch.error = { message: `run ${status}` };
    }
    row = (await repos.executions.update(row.id, patch)) ?? row;
    return { row, result, failure };
  }

  async function stepsOf(
    row: ExecutionRow,
    known?: { result?: RunFlowResult; failure?: FailureInfo },
  ): Promise<StepState[]> {
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

  /** The status query's answer for a run Temporal is executing; undefined otherwise or when it cannot answer. */
  async function liveStatus(row: ExecutionRow): Promise<RunStatus | undefined> {
    if (!LIVE.includes(row.status)) return undefined;
    try {
      return await handleOf(row).query<RunStatus>(RUN_FLOW.statusQuery);
    } catch {
      return undefined;
    }
  }

  /**
   * Mirrors `paused` / `waiting` into the index (last known, so listing by status works); the
   * status query stays the authority.
   */
  async function syncLive(row: ExecutionRow, live: RunStatus | undefined): Promise<ExecutionRow> {
    if (!live || !LIVE.includes(live.status) || live.status === row.status) return row;
    return (await repos.executions.update(row.id, { status: live.status }, { ifStatusIn: LIVE })) ?? row;
  }

  /** Reads a run's current state: index row, reconciled, plus the live status while it runs. */
  async function snapshotOf(row: ExecutionRow): Promise<RunSnapshot> {
    const known = await reconcile(row);
    if (TERMINAL.includes(known.row.status)) {
      const steps = await stepsOf(known.row, known);
      return {
        execution: view(known.row),
        terminal: true,
        status: known.row.status,
        paused: false,
        progress: progressOf(steps),
        current_nodes: [],
        steps: steps.map(stepView),
      };
    }
    const live = await liveStatus(known.row);
    const fresh = await syncLive(known.row, live);
    return {
      execution: view(fresh),
      terminal: false,
      status: live && LIVE.includes(live.status) ? live.status : fresh.status,
      paused: live?.paused ?? fresh.status === 'paused',
      progress: live?.progress ?? { completed: 0, total: 0 },
      current_nodes: live?.current_nodes ?? [],
      ...(live?.waiting_for ? { waiting_for: live.waiting_for } : {}),
      steps: (live?.steps ?? []).map(stepView),
    };
  }

  /** Runs a signal/cancel/terminate; a run that closed in the meantime is a 409, not a 500. */
  async function steer<T>(row: ExecutionRow, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        const { row: fresh } = await reconcile(row);
        throw conflict(`run is ${fresh.status}`, { status: fresh.status });
      }
      throw err;
    }
  }

  async function activeRow(actor: Actor, id: string): Promise<ExecutionRow> {
    const { row } = await reconcile(await getRow(actor, id));
    if (TERMINAL.includes(row.status)) throw conflict(`run is ${row.status}`, { status: row.status });
    return row;
  }

  /** The row of a run the caller may decide an approval of: theirs, or one whose node lists them. */
  async function approvalRow(
    actor: Actor,
    id: string,
    nodeId: string,
    user: Approver,
  ): Promise<ExecutionRow> {
    const own = await repos.executions.get(id, { ownerId: actor.ownerId });
    if (own) return own;
    const row = await repos.executions.get(id);
    if (!row || !(await isStaticApprover(repos, row, nodeId, user))) throw notFound('execution');
    return row;
  }

  const service = {
    view,
    reconcile,

    /** Starts a run of a flow the actor may see; the idempotency key is per caller and flow. */
    async execute(
      actor: Actor,
      flowId: string,
      req: ExecuteRequest,
    ): Promise<{ execution: ExecutionView; created: boolean }> {
      const flow = await repos.flows.get(flowId, { ownerId: actor.ownerId });
      if (!flow) throw notFound('workflow');
      // Keys are stored per flow owner; another caller (an admin) gets a key space of their own.
      const key = req.idempotency_key
        ? actor.userId === flow.owner_id
          ? req.idempotency_key
          : `${actor.userId}:${req.idempotency_key}`
        : undefined;
      const reuse = (existing: ExecutionRow) => {
        if (existing.flow_id !== flow.id) {
          throw conflict('Idempotency-Key was already used for a run of another workflow', {
            execution_id: existing.id,
          });
        }
      };
      if (key) {
        const existing = await repos.executions.findByIdempotencyKey(flow.owner_id, key);
        if (existing) {
          reuse(existing);
          return { execution: view((await reconcile(existing)).row), created: false };
        }
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
        idempotency_key: key ?? null,
      });
      if (!created) {
        reuse(row);
        return { execution: view(row), created: false };
      }
      return { execution: view(await launch(row, input, flow.name)), created: true };
    },

    /** Waits up to `timeoutMs` for a run to finish; returns its view and whether it finished. */
    async waitFor(
      actor: Actor,
      id: string,
      timeoutMs: number,
    ): Promise<{ execution: ExecutionView; finished: boolean }> {
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

    /** A run with its per-node steps; the status is the live one (paused, waiting) while it runs. */
    async get(actor: Actor, id: string): Promise<ExecutionView> {
      const known = await reconcile(await getRow(actor, id));
      const live = await liveStatus(known.row);
      const row = await syncLive(known.row, live);
      const steps = live ? live.steps : await stepsOf(row, known);
      const v = view(row, steps);
      if (live && LIVE.includes(live.status)) v.status = live.status;
      return v;
    },

    /** Status, progress, current nodes and what the run waits for. */
    async status(actor: Actor, id: string): Promise<StatusView> {
      const s = await snapshotOf(await getRow(actor, id));
      return {
        status: s.status,
        paused: s.paused,
        progress: s.progress,
        current_nodes: s.current_nodes,
        ...(s.waiting_for ? { waiting_for: s.waiting_for } : {}),
      };
    },

    /** Pause, resume, cancel or terminate a run; 409 when its state does not allow it. */
    async control(
      actor: Actor,
      id: string,
      action: 'pause' | 'resume' | 'cancel' | 'terminate',
    ): Promise<ExecutionView> {
      const row = await activeRow(actor, id);
      if (row.status === 'pending')
        throw conflict('run has not started on Temporal yet', { status: row.status });
      const handle = handleOf(row);
      const live = await liveStatus(row);
      const paused = live?.paused ?? row.status === 'paused';
      let fresh = row;
      if (action === 'pause') {
        if (paused) throw conflict('run is already paused', { status: 'paused' });
        await steer(row, () => handle.signal(RUN_FLOW.pauseSignal));
        fresh = (await repos.executions.update(row.id, { status: 'paused' }, { ifStatusIn: LIVE })) ?? row;
      } else if (action === 'resume') {
        if (!paused) throw conflict('run is not paused', { status: live?.status ?? row.status });
        await steer(row, () => handle.signal(RUN_FLOW.resumeSignal));
        fresh = (await repos.executions.update(row.id, { status: 'running' }, { ifStatusIn: LIVE })) ?? row;
      } else if (action === 'cancel') {
        await steer(row, () => handle.cancel());
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          handle.result().catch(() => undefined),
          new Promise((r) => (timer = setTimeout(r, CANCEL_SETTLE_MS))),
        ]);
        clearTimeout(timer);
        fresh = (await reconcile(row)).row;
      } else {
        await steer(row, () => handle.terminate(`terminated by ${actor.userId}`));
        fresh = (await reconcile(row)).row;
      }
      return view(fresh);
    },

    /** Delivers an external event to a run (a `wait-event` node waiting for that name consumes it). */
    async deliverEvent(actor: Actor, id: string, event: { name: string; data: unknown }): Promise<void> {
      const row = await activeRow(actor, id);
      await steer(row, () => handleOf(row).signal(RUN_FLOW.eventSignal, event));
    },

    /**
     * Decides a waiting approval node: 409 when not waiting / decided, 403 when not an approver.
     * Besides the run's owner, a user named in the node's (literal) `approvers` may decide.
     */
    async decide(
      actor: Actor,
      id: string,
      nodeId: string,
      req: { decision: 'approve' | 'reject'; comment?: string },
      user: Approver,
    ) {
      const { row } = await reconcile(await approvalRow(actor, id, nodeId, user));
      if (TERMINAL.includes(row.status)) throw conflict(`run is ${row.status}`, { status: row.status });
      try {
        return await steer(row, () =>
          handleOf(row).executeUpdate(RUN_FLOW.approveUpdate, {
            args: [{ node_id: nodeId, decision: req.decision, comment: req.comment, user }],
          }),
        );
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
          if (err.cause.type === 'NotAllowed') throw forbidden(err.cause.message);
          throw conflict(err.cause.message);
        }
        throw err;
      }
    },

    /** Approvals waiting for a decision that the caller may see (see pending-approvals.ts). */
    pendingApprovals(actor: Actor, user: Approver, options: ApprovalListOptions) {
      return listPendingApprovals({ repos, liveStatus }, actor, user, options);
    },

    /**
     * Starts a new run of a finished run's flow that does not redo what the earlier run completed
     * upstream of `from_node` (default: the node that failed the run); see retry-plan.ts.
     */
    async retry(actor: Actor, id: string, req: RetryRequest): Promise<ExecutionView> {
      const known = await reconcile(await getRow(actor, id));
      const earlier = known.row;
      if (!TERMINAL.includes(earlier.status)) {
        throw conflict(`run is ${earlier.status}: cancel it or wait for it to finish before retrying`, {
          status: earlier.status,
        });
      }
      if (earlier.status === 'completed' && req.from_node === undefined) {
        throw conflict('run completed: give from_node to run it again from a node', {
          status: earlier.status,
        });
      }
      const flow = await repos.flows.get(earlier.flow_id, { includeDeleted: true });
      if (!flow) throw notFound('workflow');
      if (flow.deleted_at) throw conflict('the workflow of this run was deleted');

      const newId = randomUUID();
      const failedNode =
        (earlier.error as { node_id?: string | null } | null)?.node_id ?? known.failure?.node_id ?? undefined;
      const fromNode = req.from_node ?? failedNode;
      const trigger: RunTrigger = {
        type: 'retry',
        retry_of: earlier.id,
        from_node: fromNode ?? null,
        user_id: actor.userId,
      };
      const version = req.use_latest_version ? flow.version : earlier.flow_version;
      const input = await buildInput(flow, version, newId, trigger, earlier.input_data);
      if (req.from_node !== undefined && !input.definition.nodes.some((n) => n.id === req.from_node)) {
        throw unprocessable('from_node is not a node of the workflow', {
          from_node: `no node ${req.from_node} in version ${version}`,
        });
      }
      const steps = await stepsOf(earlier, known);
      const before = steps.find((s) => s.node_id === fromNode);
      if (req.from_node !== undefined && before?.status === 'skipped') {
        throw unprocessable('from_node was skipped in the earlier run', {
          from_node: `${req.from_node} was skipped; retry from a node upstream of it`,
        });
      }
      let reusable: ((nodeId: string) => boolean) | undefined;
      if (version !== earlier.flow_version) {
        const old = await graphAt(flow, earlier.flow_version)
          .then((g) => compileFlow(g.graph))
          .catch(() => undefined);
        const same = new Set<string>();
        for (const n of input.definition.nodes) {
          const o = old?.nodes.find((x) => x.id === n.id);
          if (o && old && nodeFingerprint(o, old) === nodeFingerprint(n, input.definition)) same.add(n.id);
        }
        reusable = (nodeId) => same.has(nodeId);
      }
      input.carried = planRetry(input.definition, steps, fromNode, reusable).carried;
      const row = await repos.executions.create({
        id: newId,
        flow_id: flow.id,
        flow_version: input.flow_version,
        owner_id: earlier.owner_id,
        trigger,
        input_data: input.input_data,
      });
      return view(await launch(row, input, flow.name));
    },

    /**
     * Checks that the caller may watch the run (404 otherwise) and returns a function that streams
     * its live events until the run ends or `signal` aborts.
     */
    async openWatch(
      actor: Actor,
      id: string,
    ): Promise<(emit: (e: LiveEvent) => void, signal: AbortSignal) => Promise<void>> {
      const row = await getRow(actor, id);
      return (emit, signal) =>
        watchRun(
          row.id,
          {
            snapshot: async () => snapshotOf((await repos.executions.get(row.id)) ?? row),
            logs: (skip, limit) => repos.logs.list(row.id, { skip, limit }),
          },
          emit,
          { signal, intervalMs: deps.watchIntervalMs },
        );
    },

    /** Runs one node through Temporal for debugging (see node-test.ts). */
    testNode(actor: Actor, req: NodeTestRequest) {
      return runNodeTest({ client, taskQueue, repos, logger }, actor, req);
    },

    /** Loads, compiles and records a child run for a `sub-flow` node (worker side). */
    async prepareChild(input: PrepareSubFlowInput): Promise<RunFlowInput> {
      const flow = await repos.flows
        .get(input.workflow_id, { ownerId: input.owner_id })
        .catch(() => undefined);
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
              const exists = await handleOf(row)
                .describe()
                .then(
                  () => true,
                  () => false,
                );
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
  return service;
}

/** What a failed run's failure says. */
interface FailureInfo {
  message: string;
  type?: string;
  node_id?: string;
  steps?: StepState[];
}

async function fetchOutcome(
  handle: WorkflowHandle,
): Promise<{ result?: RunFlowResult; failure?: FailureInfo }> {
  try {
    return { result: (await handle.result()) as RunFlowResult };
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const cause = err.cause;
      if (cause instanceof ApplicationFailure) {
        const d = (cause.details?.[0] ?? {}) as { node_id?: string; steps?: StepState[] };
        return {
          failure: {
            message: cause.message,
            type: cause.type ?? undefined,
            node_id: d.node_id,
            steps: d.steps,
          },
        };
      }
      return { failure: { message: cause?.message ?? err.message } };
    }
    throw err;
  }
}
