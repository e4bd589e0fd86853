import { type Knex } from 'knex';
import { codecFor } from '../codec';
import { nowIso } from '../time';

/** One transition of a run in the live event log. */
export interface ExecutionEventRow {
  /** Position in the log (the live streams' event id). */
  id: number;
  execution_id: string;
  event_key: string;
  type: string;
  node_id: string | null;
  data: Record<string, unknown>;
  /** Workflow time of the transition. */
  at: string;
  /** When the index learned of it. */
  created_at: string;
}

/** An event to store; `event_key` makes storing it twice harmless. */
export interface NewExecutionEvent {
  execution_id: string;
  event_key: string;
  type: string;
  node_id?: string | null;
  data: Record<string, unknown>;
  at: string;
}

// 7 bound values per row.
const INSERT_CHUNK = 500;

/** The live event log that runs write (see `src/worker/run-index-sink.ts`). */
export interface ExecutionEventRepo {
  /** Stores the events in order, skipping keys already stored; returns how many were new. */
  insertMany(events: readonly NewExecutionEvent[]): Promise<number>;
  /** A run's events after position `afterId`, in order, at most `limit`. */
  listAfter(executionId: string, afterId: number, limit?: number): Promise<ExecutionEventRow[]>;
  /** The position of a run's last event (0 when it has none). */
  lastId(executionId: string): Promise<number>;
  /** Every run's events after position `afterId`, in order, at most `limit` (the API's shared tail). */
  listSince(afterId: number, limit?: number): Promise<ExecutionEventRow[]>;
  /** The position of the last event of any run (0 when there is none). */
  maxId(): Promise<number>;
  /**
   * The newest event of one of `types` about node `nodeId` in a run of flow `flowId`, looking at
   * the flow's newest `maxRuns` runs (newest first, so the search is bounded by the flow's runs).
   */
  latestOfFlowNode(flowId: string, nodeId: string, types: readonly string[], maxRuns?: number): Promise<ExecutionEventRow | undefined>;
  deleteByExecution(executionId: string): Promise<number>;
}

/** The live event log repository over `db`. */
export function createExecutionEventRepo(db: Knex): ExecutionEventRepo {
  const codec = codecFor(db);
  const fromRow = (r: Record<string, unknown>): ExecutionEventRow => ({
    id: Number(r.id),
    execution_id: String(r.execution_id),
    event_key: String(r.event_key),
    type: String(r.type),
    node_id: (r.node_id as string | null) ?? null,
    data: codec.fromJson<Record<string, unknown>>(r.data) ?? {},
    at: String(r.at),
    created_at: String(r.created_at),
  });
  return {
    async insertMany(events) {
      if (events.length === 0) return 0;
      const now = nowIso();
      let inserted = 0;
      for (let i = 0; i < events.length; i += INSERT_CHUNK) {
        const rows = events.slice(i, i + INSERT_CHUNK).map((e) => ({
          execution_id: e.execution_id,
          event_key: e.event_key,
          type: e.type,
          node_id: e.node_id ?? null,
          data: codec.toJson(e.data),
          at: e.at,
          created_at: now,
        }));
        const result = await db('execution_events').insert(rows).onConflict('event_key').ignore().returning('id');
        inserted += result.length;
      }
      return inserted;
    },

    async listAfter(executionId, afterId, limit = 500) {
      const rows = await db('execution_events')
        .where({ execution_id: executionId })
        .andWhere('id', '>', afterId)
        .orderBy('id', 'asc')
        .limit(limit);
      return rows.map(fromRow);
    },

    async lastId(executionId) {
      const row = (await db('execution_events').where({ execution_id: executionId }).max({ id: 'id' }).first()) as
        | { id: number | string | null }
        | undefined;
      return Number(row?.id ?? 0);
    },

    async listSince(afterId, limit = 1_000) {
      const rows = await db('execution_events').where('id', '>', afterId).orderBy('id', 'asc').limit(limit);
      return rows.map(fromRow);
    },

    async maxId() {
      const row = (await db('execution_events').max({ id: 'id' }).first()) as { id: number | string | null } | undefined;
      return Number(row?.id ?? 0);
    },

    async latestOfFlowNode(flowId, nodeId, types, maxRuns = 5_000) {
      const batch = 500;
      for (let skip = 0; skip < maxRuns; skip += batch) {
        const ids: string[] = await db('executions')
          .where({ flow_id: flowId })
          .orderBy([
            { column: 'created_at', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .offset(skip)
          .limit(Math.min(batch, maxRuns - skip))
          .pluck('id');
        if (ids.length === 0) return undefined;
        const row = await db('execution_events')
          .whereIn('execution_id', ids)
          .andWhere({ node_id: nodeId })
          .whereIn('type', [...types])
          .orderBy('id', 'desc')
          .first();
        if (row) return fromRow(row);
        if (ids.length < batch) return undefined;
      }
      return undefined;
    },

    async deleteByExecution(executionId) {
      return db('execution_events').where({ execution_id: executionId }).delete();
    },
  };
}
