import { type Knex } from 'knex';
import { codecFor } from '../codec';
import { type Page, selectPage } from '../query-helpers';

/** An approval a run waits for, as the run reported it. */
export interface PendingApprovalRow {
  key: string;
  execution_id: string;
  flow_id: string;
  flow_version: number;
  owner_id: string;
  node_id: string;
  scope: string;
  title: string | null;
  instructions: string | null;
  approvers: string[];
  requested_at: string;
}

/** Who is asking for the list: an owner (their runs), plus the approvals naming them. */
export interface ApprovalAudience {
  /** Undefined: every run (admin). */
  ownerId?: string;
  /** Names the caller goes by in `approvers` (username, user id). */
  names: string[];
  flowId?: string;
}

/** Approvals that runs wait for (written by the run index sink). */
export interface PendingApprovalRepo {
  /** Records a waiting approval; the same key again replaces it. */
  put(row: PendingApprovalRow): Promise<void>;
  /** Forgets one approval (decided, timed out, skipped). */
  remove(key: string): Promise<void>;
  /** Forgets every approval of a run (it ended). */
  removeForExecution(executionId: string): Promise<void>;
  get(key: string): Promise<PendingApprovalRow | undefined>;
  /** The approvals of unfinished runs visible to `audience`, oldest request first. */
  list(audience: ApprovalAudience, page: { skip: number; limit: number }): Promise<Page<PendingApprovalRow>>;
}

/** The key of an approval: its run, and the node's id within its scope (loop item). */
export function approvalKey(executionId: string, scope: string, nodeId: string): string {
  return `${executionId}:${scope}${nodeId}`;
}

/** The pending approvals repository over `db`. */
export function createPendingApprovalRepo(db: Knex): PendingApprovalRepo {
  const codec = codecFor(db);
  const fromRow = (r: Record<string, unknown>): PendingApprovalRow => ({
    ...(r as unknown as PendingApprovalRow),
    flow_version: codec.int(r.flow_version),
    approvers: codec.fromJson<string[]>(r.approvers) ?? [],
  });
  const visible = (audience: ApprovalAudience) => {
    const q = db('pending_approvals as a')
      .join('executions as e', 'e.id', 'a.execution_id')
      .whereIn('e.status', ['running', 'paused', 'waiting']);
    if (audience.flowId !== undefined) q.where('a.flow_id', audience.flowId);
    if (audience.ownerId !== undefined) {
      const names = audience.names.map((n) => n.toLowerCase());
      q.where((w) =>
        w
          .where('a.owner_id', audience.ownerId as string)
          .orWhereIn('a.key', db('pending_approval_approvers').select('approval_key').whereIn('approver', names)),
      );
    }
    return q;
  };
  return {
    async put(row) {
      await db.transaction(async (trx) => {
        await trx('pending_approvals').where({ key: row.key }).delete();
        await trx('pending_approvals').insert({ ...row, approvers: codec.toJson(row.approvers) });
        const names = [...new Set(row.approvers.map((a) => a.toLowerCase()))];
        if (names.length) await trx('pending_approval_approvers').insert(names.map((approver) => ({ approval_key: row.key, approver })));
      });
    },
    async remove(key) {
      await db('pending_approval_approvers').where({ approval_key: key }).delete();
      await db('pending_approvals').where({ key }).delete();
    },
    async removeForExecution(executionId) {
      const keys = db('pending_approvals').select('key').where({ execution_id: executionId });
      await db('pending_approval_approvers').whereIn('approval_key', keys).delete();
      await db('pending_approvals').where({ execution_id: executionId }).delete();
    },
    async get(key) {
      const r = await db('pending_approvals').where({ key }).first();
      return r ? fromRow(r) : undefined;
    },
    async list(audience, { skip, limit }) {
      const q = visible(audience);
      const { items, total } = await selectPage(q, { skip, limit }, 'a.*', [
        { column: 'a.requested_at', order: 'asc' },
        { column: 'a.key', order: 'asc' },
      ]);
      return { items: items.map(fromRow), total };
    },
  };
}
