import { NodeError } from './node-error';

/**
 * What node types see of data sources (docs/data-sources.md): a provider that runs one query on a
 * data source of the flow's owner, named by id or name. The worker implements it over the data
 * source store (src/services/data-sources/), so connection settings and secrets stay in the
 * worker's memory and never enter a node's data, Temporal history or logs.
 */

/** Rows a query returns: at most this many by default, never more than {@link MAX_ROW_LIMIT}. */
export const DEFAULT_ROW_LIMIT = 1_000;
/** The most rows one query may return; a larger `limit` is capped to it. */
export const MAX_ROW_LIMIT = 10_000;
/** Statement timeout of a query that sets none. */
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;
/** The longest statement timeout a query may ask for. */
export const MAX_QUERY_TIMEOUT_MS = 300_000;

/** Data source types whose query is SQL with parameters. */
export const SQL_DATA_SOURCE_TYPES = ['postgresql', 'mysql', 'sqlite'] as const;

/** One query, with concrete values. */
export interface DataSourceQuery {
  /** SQL (`$1` placeholders on PostgreSQL, `?` on MySQL and SQLite), a path for `api`, JSONata for `json`. */
  query: string;
  /** Values of the placeholders, sent apart from the SQL text. */
  params: unknown[];
  /** Rows to return at most (capped to {@link MAX_ROW_LIMIT}). */
  limit: number;
  timeoutMs: number;
  /** Stops waiting for the query (run cancelled, activity timed out). */
  signal?: AbortSignal;
}

/** A query's answer. */
export interface DataSourceResult {
  rows: Record<string, unknown>[];
  /** Column names in the order the source gave them. */
  columns: string[];
  /** Whether the source had more rows than `limit`. */
  truncated: boolean;
  /** Rows a write changed (INSERT/UPDATE/DELETE); null for statements that return rows. */
  affectedRows: number | null;
}

/** The data source a query ran on (never its configuration). */
export interface DataSourceRef {
  id: string;
  name: string;
  type: string;
}

/** Where node types run queries. Failures are {@link NodeError}s that say whether a retry may help. */
export interface DataSourceProvider {
  /**
   * Runs `request` on the owner's data source `idOrName` (an id first, then a name).
   * @param types - data source types the caller accepts; another type fails without retries
   * @throws NodeError — non-retryable for an unknown source, another type, SQL errors (syntax, a
   * write on a read-only source), timeouts and refused addresses; retryable for connection failures
   */
  query(
    ownerId: string,
    idOrName: string,
    request: DataSourceQuery,
    types?: readonly string[],
  ): Promise<DataSourceResult & { dataSource: DataSourceRef }>;
}

/** A provider for workers without a data source store (tests, benches): every source is unknown. */
export const noDataSourceProvider: DataSourceProvider = {
  async query(_ownerId, idOrName) {
    throw new NodeError(`data source "${idOrName.slice(0, 200)}" not found`, { retryable: false, type: 'DataSourceNotFound' });
  },
};
