import { noCredentialProvider, type CredentialProvider } from '../../nodes/credentials';
import {
  DEFAULT_QUERY_TIMEOUT_MS,
  DEFAULT_ROW_LIMIT,
  MAX_QUERY_TIMEOUT_MS,
  MAX_ROW_LIMIT,
  type DataSourceProvider,
  type DataSourceQuery,
} from '../../nodes/data-sources';
import { NodeError } from '../../nodes/node-error';
import { conflict, notFound, unprocessable } from '../../shared/errors';
import { UniqueViolationError, type DataSourceRow, type DataSourceStatus, type DataSourceType, type Repos } from '../../storage';
import type { Actor } from '../actor';
import type { SecretBox } from '../secret-box';
import { checkReachable, nextConfig, openSecrets, splitOrFail } from './data-source-checks';
import { secretFieldNames } from './data-source-config';
import { createSourceRuntime } from './source-runtime';

/** A data source as the API returns it: never a secret, only the names of the stored ones. */
export interface DataSourceView {
  id: string;
  name: string;
  type: DataSourceType;
  description: string | null;
  config: Record<string, unknown>;
  /** Secrets stored for it (`password`, `headers.X-Api-Key`), by name. */
  secret_fields: string[];
  read_only: boolean;
  status: DataSourceStatus;
  /** What the last connection test said. */
  status_message: string | null;
  tested_at: string | null;
  created_at: string;
  updated_at: string;
}

/** What creating a data source takes (the API has checked the shapes). */
export interface DataSourceInput {
  name: string;
  type: DataSourceType;
  description?: string | null;
  config: Record<string, unknown>;
  read_only?: boolean;
}

/** A query as the API takes it. */
export interface QueryInput {
  query: string;
  params?: unknown[];
  limit?: number;
  timeout_ms?: number;
}

/** What the data source service needs. */
export interface DataSourceServiceDeps {
  repos: Repos;
  box: SecretBox;
  /** `HTTP_ALLOWED_HOSTS`. */
  allowedHosts: readonly string[];
  /** `DATA_DIR`. */
  dataDir: string;
  /** Credentials a data source may name; default none. */
  credentials?: CredentialProvider;
}

/** The query's limits: rows capped to {@link MAX_ROW_LIMIT}, timeout to {@link MAX_QUERY_TIMEOUT_MS}. */
export function boundedQuery(q: { query: string; params?: unknown[]; limit?: number; timeoutMs?: number; signal?: AbortSignal }): DataSourceQuery {
  return {
    query: q.query,
    params: q.params ?? [],
    limit: Math.min(Math.max(1, Math.floor(q.limit ?? DEFAULT_ROW_LIMIT)), MAX_ROW_LIMIT),
    timeoutMs: Math.min(Math.max(1, Math.floor(q.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS)), MAX_QUERY_TIMEOUT_MS),
    signal: q.signal,
  };
}

// Failures of the statement itself; every other failure is the data source's (unreachable, refused…).
const QUERY_FAILURES = new Set(['SqlError', 'QueryTimeout', 'InvalidQuery']);

/**
 * Data sources (docs/data-sources.md): CRUD for their owner (nobody else sees one, admins
 * included: they hold secrets), connection tests, queries, and the provider `sql` nodes query
 * through on the worker.
 */
export function createDataSourceService(deps: DataSourceServiceDeps) {
  const { repos, box } = deps;
  const credentials = deps.credentials ?? noCredentialProvider;
  const checks = { box, credentials, allowedHosts: deps.allowedHosts, dataDir: deps.dataDir };
  const runtime = createSourceRuntime(checks);
  const mine = (actor: Actor) => ({ ownerId: actor.userId });

  function view(row: DataSourceRow): DataSourceView {
    return {
      id: row.id,
      name: row.name,
      type: row.type,
      description: row.description,
      config: row.config,
      secret_fields: secretFieldNames(openSecrets(box, row)),
      read_only: row.read_only,
      status: row.status,
      status_message: row.status_message,
      tested_at: row.tested_at,
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  async function own(actor: Actor, id: string): Promise<DataSourceRow> {
    const row = await repos.dataSources.get(id, mine(actor));
    if (!row) throw notFound('data source');
    return row;
  }

  const sealed = (secrets: Record<string, unknown>) => (Object.keys(secrets).length ? box.seal(secrets) : null);

  async function saving<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof UniqueViolationError) throw conflict(err.message);
      throw err;
    }
  }

  /** A failed query or test as the API answers it: 422 saying whether the query or the source failed. */
  function queryFailure(err: unknown): never {
    if (!(err instanceof NodeError)) throw err;
    const query = QUERY_FAILURES.has(err.options.type ?? '');
    throw unprocessable(query ? 'the query failed' : 'the data source could not be queried', {
      [query ? 'query' : 'data_source']: err.message,
      retryable: err.options.retryable !== false,
    });
  }

  const provider: DataSourceProvider = {
    async query(ownerId, idOrName, request, types) {
      let row: DataSourceRow | undefined;
      try {
        row = await repos.dataSources.findByIdOrName(ownerId, idOrName);
      } catch (err) {
        throw new NodeError(`could not look up data source "${idOrName}": ${(err as Error).message}`, { retryable: true, type: 'DataSourceLookupFailed' });
      }
      if (!row) throw new NodeError(`data source "${idOrName.slice(0, 200)}" not found`, { retryable: false, type: 'DataSourceNotFound' });
      if (types && !types.includes(row.type)) {
        throw new NodeError(`data source "${row.name}" is of type ${row.type}, expected one of ${types.join(', ')}`, {
          retryable: false,
          type: 'DataSourceTypeMismatch',
        });
      }
      const result = await runtime.query(row, boundedQuery(request));
      return { ...result, dataSource: { id: row.id, name: row.name, type: row.type } };
    },
  };

  return {
    async create(actor: Actor, input: DataSourceInput): Promise<DataSourceView> {
      const { split } = splitOrFail(input.type, input.config);
      await checkReachable(checks, actor.userId, input.type, split.config);
      const row = await saving(() =>
        repos.dataSources.create({
          owner_id: actor.userId,
          name: input.name,
          type: input.type,
          description: input.description ?? null,
          config: split.config,
          secrets_encrypted: sealed(split.secrets),
          read_only: input.read_only ?? true,
        }),
      );
      return view(row);
    },

    async list(actor: Actor, page: { skip: number; limit: number; type?: string; status?: string }) {
      const result = await repos.dataSources.list({ ...mine(actor), ...page });
      return { items: result.items.map(view), total: result.total };
    },

    async get(actor: Actor, id: string): Promise<DataSourceView> {
      return view(await own(actor, id));
    },

    /** Changes what is given; see {@link nextConfig} for how `config` and its secrets change. */
    async update(actor: Actor, id: string, patch: Partial<DataSourceInput>, mode: 'replace' | 'merge'): Promise<DataSourceView> {
      const row = await own(actor, id);
      const type = patch.type ?? row.type;
      const settings = patch.config !== undefined || type !== row.type;
      const next = settings ? nextConfig(box, row, type, patch.config, mode) : undefined;
      if (next) await checkReachable(checks, actor.userId, type, next.config);
      const updated = await saving(() =>
        repos.dataSources.update(
          id,
          {
            name: patch.name,
            type: patch.type,
            description: patch.description,
            read_only: patch.read_only,
            ...(next && { config: next.config, secrets_encrypted: sealed(next.secrets) }),
          },
          mine(actor),
        ),
      );
      if (!updated) throw notFound('data source');
      await runtime.drop(id);
      return view(updated);
    },

    async remove(actor: Actor, id: string): Promise<void> {
      if (!(await repos.dataSources.delete(id, mine(actor)))) throw notFound('data source');
      await runtime.drop(id);
    },

    /** Connects to the source and records the outcome as its status (`active` or `error`). */
    async test(actor: Actor, id: string): Promise<{ status: 'success' | 'error'; message: string; latency_ms: number }> {
      const row = await own(actor, id);
      const started = performance.now();
      let outcome: { status: 'active' | 'error'; message: string };
      try {
        outcome = { status: 'active', message: await runtime.test(row) };
      } catch (err) {
        if (!(err instanceof NodeError)) throw err;
        outcome = { status: 'error', message: err.message };
      }
      const latency_ms = Math.round(performance.now() - started);
      await repos.dataSources.recordTest(row.id, row.updated_at, outcome);
      return { status: outcome.status === 'active' ? 'success' : 'error', message: outcome.message, latency_ms };
    },

    /** Runs one query with the source's limits; `data` holds at most `limit` rows. */
    async query(actor: Actor, id: string, input: QueryInput) {
      const row = await own(actor, id);
      const request = boundedQuery({ ...input, timeoutMs: input.timeout_ms });
      const result = await runtime.query(row, request).catch(queryFailure);
      return {
        data: result.rows,
        count: result.rows.length,
        truncated: result.truncated,
        columns: result.columns,
        affected_rows: result.affectedRows,
        limit: request.limit,
      };
    },

    /** What `sql` nodes query through (`NodeServices.dataSources`). */
    provider,

    /** Closes every connection pool and the SQLite processes. */
    close: () => runtime.close(),
  };
}

/** Data sources. */
export type DataSourceService = ReturnType<typeof createDataSourceService>;
