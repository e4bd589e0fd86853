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
}

/** Filters and paging of {@link LogRepo.list}. */
export interface LogListOptions extends PageOptions {
  level?: LogLevel;
  nodeId?: string;
}

/** Counts of a run's log lines, as `/executions/{id}/logs/summary` returns them. */
export interface LogSummary {
  total_logs: number;
  level_stats: Partial<Record<LogLevel, number>>;
  /** Lines per node (lines without a node are only in the totals). */
  node_stats: Record<string, number>;
  /** The first {@link MAX_SUMMARY_ERRORS} error lines, oldest first. */
  error_logs: LogRow[];
}

export const MAX_SUMMARY_ERRORS = 100;

// 9 bound values per row; 500 rows stay far below SQLite's and Postgres' parameter limits.
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
];

/** The run log repository over `db`. */
export function createLogRepo(db: Knex): LogRepo {
  const codec = codecFor(db);
  const fromRow = (r: Record<string, unknown>): LogRow => ({
    ...(r as unknown as LogRow),
    data: codec.fromJson(r.data),
    duration_ms: codec.intOrNull(r.duration_ms),
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
      const page = ordered(q.clone().select(COLUMNS)).offset(skip).limit(limit);
      const [total, rows] = await Promise.all([countRows(q), page]);
      return { items: rows.map(fromRow), total };
    },

    async summary(executionId) {
      const [groups, errors] = await Promise.all([
        db('execution_logs')
          .select('level', 'node_id')
          .count({ n: '*' })
          .where({ execution_id: executionId })
          .groupBy('level', 'node_id') as Promise<
          { level: LogLevel; node_id: string | null; n: number | string }[]
        >,
        ordered(
          db('execution_logs').select(COLUMNS).where({ execution_id: executionId, level: 'error' }),
        ).limit(MAX_SUMMARY_ERRORS),
      ]);
      const summary: LogSummary = {
        total_logs: 0,
        level_stats: {},
        node_stats: {},
        error_logs: errors.map(fromRow),
      };
      for (const g of groups) {
        const n = Number(g.n);
        summary.total_logs += n;
        summary.level_stats[g.level] = (summary.level_stats[g.level] ?? 0) + n;
        if (g.node_id !== null) summary.node_stats[g.node_id] = (summary.node_stats[g.node_id] ?? 0) + n;
      }
      return summary;
    },

    async deleteByExecution(executionId) {
      return db('execution_logs').where({ execution_id: executionId }).delete();
    },
  };
}
