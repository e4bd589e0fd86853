import { type Knex } from 'knex';
import { codecFor } from '../codec';
import { type Page, type PageOptions, selectPage } from '../query-helpers';

type StepStatus = 'pending' | 'running' | 'waiting' | 'completed' | 'failed' | 'skipped';

/** The last known state of one step of a loop body's item. */
export interface ItemStepRow {
  execution_id: string;
  scope: string;
  node_id: string;
  node_type: string;
  label: string | null;
  loop_node_id: string;
  item_index: number;
  batch: number | null;
  batch_workflow_id: string | null;
  status: StepStatus;
  attempt: number;
  output: unknown;
  error: unknown;
  port: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
}

/** Filters and paging of {@link ItemStepRepo.list}. */
export interface ItemStepListOptions extends PageOptions {
  loopNodeId?: string;
  itemIndex?: number;
  nodeId?: string;
  status?: StepStatus;
}

const SETTLED: readonly StepStatus[] = ['completed', 'failed', 'skipped'];

// 17 bound values per row.
const UPSERT_CHUNK = 200;

/** Loop-body steps of runs (written by the workers' run index sink, read by the run detail). */
export interface ItemStepRepo {
  /**
   * Stores each step's latest state. A settled step (completed, failed, skipped) is never changed
   * again, so a transition reported twice, or late, cannot take it back to running.
   */
  upsertMany(rows: readonly ItemStepRow[]): Promise<void>;
  /** A run's item steps by loop, item index and start order. */
  list(executionId: string, options?: ItemStepListOptions): Promise<Page<ItemStepRow>>;
  /** How many item steps of a run have each status. */
  countByStatus(executionId: string): Promise<Partial<Record<StepStatus, number>>>;
  deleteByExecution(executionId: string): Promise<number>;
}

/** The item step repository over `db`. */
export function createItemStepRepo(db: Knex): ItemStepRepo {
  const codec = codecFor(db);
  const fromRow = (r: Record<string, unknown>): ItemStepRow => ({
    execution_id: String(r.execution_id),
    scope: String(r.scope),
    node_id: String(r.node_id),
    node_type: String(r.node_type),
    label: (r.label as string | null) ?? null,
    loop_node_id: String(r.loop_node_id),
    item_index: codec.int(r.item_index),
    batch: codec.intOrNull(r.batch),
    batch_workflow_id: (r.batch_workflow_id as string | null) ?? null,
    status: r.status as StepStatus,
    attempt: codec.int(r.attempt),
    output: codec.fromJson(r.output),
    error: codec.fromJson(r.error),
    port: (r.port as string | null) ?? null,
    started_at: (r.started_at as string | null) ?? null,
    finished_at: (r.finished_at as string | null) ?? null,
    duration_ms: codec.intOrNull(r.duration_ms),
  });

  return {
    async upsertMany(rows) {
      // The last state of each step in this batch; rows of one statement must not conflict with each other.
      const latest = new Map<string, ItemStepRow>();
      for (const r of rows) {
        const key = `${r.execution_id} ${r.scope} ${r.node_id}`;
        const before = latest.get(key);
        if (before && SETTLED.includes(before.status) && !SETTLED.includes(r.status)) continue;
        latest.set(key, r);
      }
      const records = [...latest.values()].map((r) => ({
        ...r,
        output: codec.toJson(r.output),
        error: codec.toJson(r.error),
      }));
      for (let i = 0; i < records.length; i += UPSERT_CHUNK) {
        await db('execution_item_steps')
          .insert(records.slice(i, i + UPSERT_CHUNK))
          .onConflict(['execution_id', 'scope', 'node_id'])
          .merge()
          .whereNotIn('execution_item_steps.status', SETTLED as StepStatus[]);
      }
    },

    async list(executionId, options = {}) {
      const q = db('execution_item_steps').where({ execution_id: executionId });
      if (options.loopNodeId !== undefined) q.andWhere({ loop_node_id: options.loopNodeId });
      if (options.itemIndex !== undefined) q.andWhere({ item_index: options.itemIndex });
      if (options.nodeId !== undefined) q.andWhere({ node_id: options.nodeId });
      if (options.status !== undefined) q.andWhere({ status: options.status });
      const { items: found, total } = await selectPage(q, options, '*', [
        { column: 'loop_node_id', order: 'asc' },
        { column: 'item_index', order: 'asc' },
        { column: 'seq', order: 'asc' },
      ]);
      return { items: found.map(fromRow), total };
    },

    async countByStatus(executionId) {
      const groups = (await db('execution_item_steps')
        .select('status')
        .count({ n: '*' })
        .where({ execution_id: executionId })
        .groupBy('status')) as { status: StepStatus; n: number | string }[];
      const counts: Partial<Record<StepStatus, number>> = {};
      for (const g of groups) counts[g.status] = Number(g.n);
      return counts;
    },

    async deleteByExecution(executionId) {
      return db('execution_item_steps').where({ execution_id: executionId }).delete();
    },
  };
}
