import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { conflict, forbidden, notFound } from '../shared/errors';
import { FAILURE } from '../shared/failures';
import { RUN_FLOW, type Approver, type FlowNode } from '../shared/flow';
import { TERMINAL_EXECUTION_STATUSES, approvalKey, type ExecutionRow, type PendingApprovalRow, type Repos } from '../storage';
import type { TemporalGate } from '../temporal/temporal-gate';
import type { Actor } from './actor';
import { LIVE_STATUSES, type RunTemporal } from './run-temporal';
import type { ExecutionView, ViewFn } from './run-views';

export type { Approver } from '../shared/flow';

/** One approval node waiting for a decision, as `GET /approvals` lists it. */
export interface PendingApproval {
  execution_id: string;
  workflow_id: string;
  workflow_version: number;
  node_id: string;
  /** The rendered `title`, else the node's label. */
  title: string | null;
  instructions: string | null;
  /** The rendered approvers; empty means the run's owner (or an admin). */
  approvers: string[];
  requested_at: string | null;
  /** Whether the caller is allowed to decide it (an owner may see approvals meant for others). */
  can_decide: boolean;
}

/** What deciding an approval answers (the approval node's result). */
export interface ApprovalOutcome {
  decision: 'approved' | 'rejected';
  comment: string | null;
  decided_by: string | null;
  decided_at: string;
}

/** How long cancel waits for the run to close before answering with its current state. */
const CANCEL_SETTLE_MS = 3_000;

/** What run control needs. */
export interface RunControlDeps {
  repos: Repos;
  gate: TemporalGate;
  temporal: RunTemporal;
  view: ViewFn;
}

function names(approvers: string[], user: Approver): boolean {
  const username = user.username.toLowerCase();
  return approvers.some((a) => a.toLowerCase() === username || a === user.id);
}

/** Steering runs: pause, resume, cancel, terminate, external events and approval decisions. */
export function createRunControl(deps: RunControlDeps) {
  const { repos, gate, temporal, view } = deps;

  async function getRow(actor: Actor, id: string): Promise<ExecutionRow> {
    const row = await repos.executions.get(id, { ownerId: actor.ownerId });
    if (!row) throw notFound('execution');
    return row;
  }

  /** Runs a signal/cancel/terminate; a run that closed in the meantime is a 409, not a 500. */
  async function steer<T>(row: ExecutionRow, call: () => Promise<T>): Promise<T> {
    try {
      return await gate.call(call);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        const { row: fresh } = await temporal.reconcile(row);
        throw conflict(`run is ${fresh.status}`, { status: fresh.status });
      }
      throw err;
    }
  }

  async function activeRow(actor: Actor, id: string): Promise<ExecutionRow> {
    const { row } = await temporal.reconcile(await getRow(actor, id));
    if (TERMINAL_EXECUTION_STATUSES.includes(row.status)) throw conflict(`run is ${row.status}`, { status: row.status });
    return row;
  }

  /**
   * The row of a run the caller may decide an approval of: theirs, or one whose node names them —
   * in the approvers it waits for now, or literally in the node's `approvers` (so a second
   * decision is a 409, not a 404).
   */
  async function approvalRow(actor: Actor, id: string, nodeId: string, user: Approver): Promise<ExecutionRow> {
    const own = await repos.executions.get(id, { ownerId: actor.ownerId });
    if (own) return own;
    const row = await repos.executions.get(id);
    const waiting = row && (await repos.approvals.get(approvalKey(id, '', nodeId)));
    if (row && waiting && names(waiting.approvers, user)) return row;
    if (row && names(await literalApprovers(row, nodeId), user)) return row;
    throw notFound('execution');
  }

  /** The `approvers` written in an approval node of the run's pinned version (templates left out). */
  async function literalApprovers(row: ExecutionRow, nodeId: string): Promise<string[]> {
    const version = await repos.flows.getVersion(row.flow_id, row.flow_version);
    const find = (nodes: FlowNode[] | undefined): FlowNode | undefined => {
      for (const n of nodes ?? []) {
        if (n.id === nodeId) return n;
        const inner = n.type === 'loop' ? find((n.data as { body?: { nodes?: FlowNode[] } }).body?.nodes) : undefined;
        if (inner) return inner;
      }
      return undefined;
    };
    const node = find(version?.definition.nodes);
    const list = node?.type === 'approval' ? (node.data as { approvers?: unknown }).approvers : undefined;
    return Array.isArray(list) ? list.map(String).filter((a) => !a.includes('{{')) : [];
  }

  /** The approve update: 409 when the node is not waiting or the run has finished, 403 when not an approver. */
  async function sendDecision(
    found: ExecutionRow,
    nodeId: string,
    req: { decision: 'approve' | 'reject'; comment?: string },
    user: Approver,
  ): Promise<ApprovalOutcome> {
    const { row } = await temporal.reconcile(found);
    if (TERMINAL_EXECUTION_STATUSES.includes(row.status)) throw conflict(`run is ${row.status}`, { status: row.status });
    try {
      return await steer(row, () =>
        temporal.handleOf(row).executeUpdate<ApprovalOutcome, [unknown]>(RUN_FLOW.approveUpdate, {
          args: [{ node_id: nodeId, decision: req.decision, comment: req.comment, user }],
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        if (err.cause.type === FAILURE.notAllowed) throw forbidden(err.cause.message);
        throw conflict(err.cause.message);
      }
      throw err;
    }
  }

  function toPending(row: PendingApprovalRow, actor: Actor, user: Approver): PendingApproval {
    const own = actor.ownerId === undefined || row.owner_id === actor.userId;
    return {
      execution_id: row.execution_id,
      workflow_id: row.flow_id,
      workflow_version: row.flow_version,
      node_id: row.node_id,
      title: row.title,
      instructions: row.instructions,
      approvers: row.approvers,
      requested_at: row.requested_at,
      can_decide: user.role === 'admin' || (row.approvers.length === 0 ? own : names(row.approvers, user)),
    };
  }

  return {
    getRow,

    /** Pause, resume, cancel or terminate a run; 409 when its state does not allow it. */
    async control(actor: Actor, id: string, action: 'pause' | 'resume' | 'cancel' | 'terminate'): Promise<ExecutionView> {
      const row = await activeRow(actor, id);
      if (row.status === 'pending') throw conflict('run has not started on Temporal yet', { status: row.status });
      const handle = temporal.handleOf(row);
      const live = await temporal.liveStatus(row);
      const paused = live?.paused ?? row.status === 'paused';
      let fresh = row;
      if (action === 'pause') {
        if (paused) throw conflict('run is already paused', { status: 'paused' });
        await steer(row, () => handle.signal(RUN_FLOW.pauseSignal));
        fresh = (await repos.executions.update(row.id, { status: 'paused' }, { ifStatusIn: LIVE_STATUSES })) ?? row;
      } else if (action === 'resume') {
        if (!paused) throw conflict('run is not paused', { status: live?.status ?? row.status });
        await steer(row, () => handle.signal(RUN_FLOW.resumeSignal));
        fresh = (await repos.executions.update(row.id, { status: 'running' }, { ifStatusIn: LIVE_STATUSES })) ?? row;
      } else if (action === 'cancel') {
        await steer(row, () => handle.cancel());
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          handle.result().catch(() => undefined),
          new Promise((r) => (timer = setTimeout(r, CANCEL_SETTLE_MS))),
        ]);
        clearTimeout(timer);
        fresh = (await temporal.reconcile((await repos.executions.get(row.id)) ?? row)).row;
      } else {
        await steer(row, () => handle.terminate(`terminated by ${actor.userId}`));
        fresh = (await temporal.reconcile(row)).row;
      }
      return view(fresh);
    },

    /** Delivers an external event to a run (a `wait-event` node waiting for that name consumes it). */
    async deliverEvent(actor: Actor, id: string, event: { name: string; data: unknown }): Promise<void> {
      const row = await activeRow(actor, id);
      await steer(row, () => temporal.handleOf(row).signal(RUN_FLOW.eventSignal, event));
    },

    /**
     * Decides a waiting approval node: 409 when not waiting / decided, 403 when not an approver.
     * Besides the run's owner, a user named in the node's approvers may decide.
     */
    async decide(actor: Actor, id: string, nodeId: string, req: { decision: 'approve' | 'reject'; comment?: string }, user: Approver) {
      return sendDecision(await approvalRow(actor, id, nodeId, user), nodeId, req, user);
    },

    /**
     * Decides for whoever holds a decision link (src/services/approval-links): the signed link
     * stands for the owner's consent, so there is no caller to check. 404 for an unknown run.
     */
    async decideByLink(id: string, nodeId: string, req: { decision: 'approve' | 'reject'; comment?: string }, user: Approver) {
      const row = await repos.executions.get(id);
      if (!row) throw notFound('execution');
      return sendDecision(row, nodeId, req, user);
    },

    /**
     * Approvals waiting for a decision that the caller may see, oldest request first: those of the
     * caller's own runs (every run's for an admin) and those whose approvers name the caller. Read
     * from what the runs reported, so the list is complete even while Temporal is unreachable.
     */
    async pendingApprovals(actor: Actor, user: Approver, options: { workflowId?: string; skip: number; limit: number }) {
      const page = await repos.approvals.list(
        { ownerId: actor.ownerId, names: [user.username, user.id], flowId: options.workflowId },
        { skip: options.skip, limit: options.limit },
      );
      return { items: page.items.map((r) => toPending(r, actor, user)), total: page.total };
    },
  };
}

/** Steering runs. */
export type RunControl = ReturnType<typeof createRunControl>;
