import { randomUUID } from 'node:crypto';
import { type Knex } from 'knex';
import { codecFor } from '../codec';
import { countRows, type Page, type PageOptions, pageBounds } from '../query-helpers';
import { nowIso, toIso } from '../time';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One log line of a run. */
export interface LogRow {
  id: string;
  execution_id: string;
  node_id: string | null;
  node_type: string | null;
  level: LogLevel;
  message: string;
  data: unknown;
  duration_ms: number | null;
  timestamp: string;
  /** Lines of a node inside loop bodies: its scope key, innermost loop and item index (else null). */
  scope: string | null;
  loop_node_id: string | null;
  item_index: number | null;
}

/** A log line to write; `id` and `timestamp` default to a new UUID and now. */
export interface NewLog {
  id?: string;
  execution_id: string;
  node_id?: string | null;
  node_type?: string | null;
  level: LogLevel;
  message: string;
  data?: unknown;
  duration_ms?: number | null;
  timestamp?: string | Date;
  scope?: string | null;
  loop_node_id?: string | null;
  item_index?: number | null;
}

/** Filters and paging of {@link LogRepo.list}. */
export interface LogListOptions extends PageOptions {
  level?: LogLevel;
  nodeId?: string;
  /** Lines of this item index (of any loop unless `loopNodeId` says which). */
  itemIndex?: number;
  loopNodeId?: string;
}

/** Counts of a run's log lines, as `/executions/{id}/logs/summary` returns them. */
export interface LogSummary {
  total_logs: number;
  level_stats: Partial<Record<LogLevel, number>>;
  /** One entry per node that logged, in the order the nodes first logged (lines without a node are only in the totals). */
  node_stats: NodeLogStats[];
  /** The first {@link MAX_SUMMARY_ERRORS} error lines, oldest first. */
  error_logs: LogRow[];
}

/** A node's share of a run's logs (seed 001's `node_stats` entries). */
export interface NodeLogStats {
  node_id: string;
  node_type: string | null;
  log_count: number;
  /** The sum of the lines' `duration_ms`: each attempt's last line carries how long that attempt took. */
  total_duration_ms: number;
}

export const MAX_SUMMARY_ERRORS = 100;

// 12 bound values per row; 500 rows stay far below SQLite's and Postgres' parameter limits.
const INSERT_CHUNK = 500;

/** Run logs. */
export interface LogRepo {
  /** Writes the lines in one transaction (batched); returns how many were written. */
  insertMany(rows: readonly NewLog[]): Promise<number>;
  /** A run's lines in time order (insertion order within the same millisecond). */
  list(executionId: string, options?: LogListOptions): Promise<Page<LogRow>>;
  summary(executionId: string): Promise<LogSummary>;
  deleteByExecution(executionId: string): Promise<number>;
}

const COLUMNS = [
  'id',
  'execution_id',
  'node_id',
  'node_type',
  'level',
  'message',
  'data',
  'duration_ms',
  'timestamp',
  'scope',
  'loop_node_id',
  'item_index',
];

/** The run log repository over `db`. */
export function createLogRepo(db: Knex): LogRepo {
  const codec = codecFor(db);
  const fromRow = (r: Record<string, unknown>): LogRow => ({
    ...(r as unknown as LogRow),
    data: codec.fromJson(r.data),
    duration_ms: codec.intOrNull(r.duration_ms),
    scope: (r.scope as string | null) ?? null,
    loop_node_id: (r.loop_node_id as string | null) ?? null,
    item_index: codec.intOrNull(r.item_index),
  });
  const ordered = (q: Knex.QueryBuilder) =>
    q.orderBy([
      { column: 'timestamp', order: 'asc' },
      { column: 'seq', order: 'asc' },
    ]);

  return {
    async insertMany(rows) {
      if (rows.length === 0) return 0;
      const now = nowIso();
      const records = rows.map((r) => ({
        id: r.id ?? randomUUID(),
        execution_id: r.execution_id,
        node_id: r.node_id ?? null,
        node_type: r.node_type ?? null,
        level: r.level,
        message: r.message,
        data: codec.toJson(r.data),
        duration_ms: r.duration_ms ?? null,
        timestamp: r.timestamp === undefined ? now : toIso(r.timestamp),
        scope: r.scope ?? null,
        loop_node_id: r.loop_node_id ?? null,
        item_index: r.item_index ?? null,
      }));
      await db.transaction(async (trx) => {
        for (let i = 0; i < records.length; i += INSERT_CHUNK) {
          await trx('execution_logs').insert(records.slice(i, i + INSERT_CHUNK));
        }
      });
      return records.length;
    },

    async list(executionId, options = {}) {
      const { skip, limit } = pageBounds(options);
      const q = db('execution_logs').where({ execution_id: executionId });
      if (options.level !== undefined) q.andWhere({ level: options.level });
      if (options.nodeId !== undefined) q.andWhere({ node_id: options.nodeId });
      if (options.itemIndex !== undefined) q.andWhere({ item_index: options.itemIndex });
      if (options.loopNodeId !== undefined) q.andWhere({ loop_node_id: options.loopNodeId });
      const page = ordered(q.clone().select(COLUMNS)).offset(skip).limit(limit);
      const [total, rows] = await Promise.all([countRows(q), page]);
      return { items: rows.map(fromRow), total };
    },

    async summary(executionId) {
      const [groups, nodes, errors] = await Promise.all([
        db('execution_logs')
          .select('level')
          .count({ n: '*' })
          .where({ execution_id: executionId })
          .groupBy('level') as Promise<{ level: LogLevel; n: number | string }[]>,
        db('execution_logs')
          .select('node_id')
          .max({ node_type: 'node_type' })
          .count({ n: '*' })
          .sum({ duration: 'duration_ms' })
          .min({ first_at: 'timestamp', first_seq: 'seq' })
          .where({ execution_id: executionId })
          .whereNotNull('node_id')
          .groupBy('node_id') as Promise<
          {
            node_id: string;
            node_type: string | null;
            n: number | string;
            duration: number | string | null;
            first_at: string | Date;
            first_seq: number | string;
          }[]
        >,
        ordered(
          db('execution_logs').select(COLUMNS).where({ execution_id: executionId, level: 'error' }),
        ).limit(MAX_SUMMARY_ERRORS),
      ]);
      const summary: LogSummary = {
        total_logs: 0,
        level_stats: {},
        node_stats: nodes
          .map((g) => ({ g, at: toIso(g.first_at), seq: Number(g.first_seq) }))
          .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.seq - b.seq))
          .map(({ g }) => ({
            node_id: g.node_id,
            node_type: g.node_type ?? null,
            log_count: Number(g.n),
            total_duration_ms: Number(g.duration ?? 0),
          })),
        error_logs: errors.map(fromRow),
      };
      for (const g of groups) {
        const n = Number(g.n);
        summary.total_logs += n;
        summary.level_stats[g.level] = (summary.level_stats[g.level] ?? 0) + n;
      }
      return summary;
    },

    async deleteByExecution(executionId) {
      return db('execution_logs').where({ execution_id: executionId }).delete();
    },
  };
}
