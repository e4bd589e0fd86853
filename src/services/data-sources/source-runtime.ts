import { createHash } from 'node:crypto';
import { credentialTypeSpec } from '../../nodes/credential-types';
import type { CredentialProvider, StoredCredential } from '../../nodes/credentials';
import type { DataSourceQuery, DataSourceResult } from '../../nodes/data-sources';
import { NodeError } from '../../nodes/node-error';
import { secretRedactor } from '../../nodes/secret-redactor';
import type { DataSourceRow } from '../../storage';
import { SecretBoxError, type SecretBox } from '../secret-box';
import { queryApi, testApi, type ApiSettings } from './api-source';
import { CREDENTIAL_TYPES_FOR } from './data-source-config';
import type { DriverPool, SqlSettings } from './driver';
import { queryJson } from './json-source';
import { createMysqlPool } from './mysql-pool';
import { createPostgresPool } from './postgres-pool';
import { createSqliteRunner, resolveSqliteFile } from './sqlite-runner';

/** What the runtime needs. */
export interface SourceRuntimeDeps {
  box: SecretBox;
  /** Credentials a data source may name instead of inline secrets. */
  credentials: CredentialProvider;
  /** `HTTP_ALLOWED_HOSTS`. */
  allowedHosts: readonly string[];
  /** `DATA_DIR`: SQLite files live in its `data-sources/` folder. */
  dataDir: string;
}

/** A data source with its secrets opened and its credential resolved: ready to connect. */
interface Resolved {
  sql?: SqlSettings;
  sqliteFile?: string;
  api?: ApiSettings;
  document?: unknown;
  /** Values to scrub from every error message. */
  secrets: string[];
}

/** Pools unused this long are closed (sources deleted or changed in another process end here). */
const IDLE_POOL_MS = 5 * 60_000;

function fail(message: string, type: string, retryable = false): NodeError {
  return new NodeError(message, { retryable, type });
}

/** The header a credential of an `api` data source adds. */
function credentialHeader(c: StoredCredential): Record<string, string> {
  const d = c.data as Record<string, string>;
  if (c.type === 'http_bearer') return { authorization: `Bearer ${d.token}` };
  if (c.type === 'http_basic') return { authorization: `Basic ${Buffer.from(`${d.username}:${d.password}`).toString('base64')}` };
  return { [String(d.name).toLowerCase()]: d.value };
}

/**
 * Connections to data sources: resolves a stored data source (opens its sealed secrets, looks up
 * the credential it names), keeps one connection pool per database source — replaced when its
 * settings change, closed when unused or dropped — and runs queries and connection tests. Every
 * error it throws is a NodeError with the source's secrets scrubbed from it.
 */
export function createSourceRuntime(deps: SourceRuntimeDeps) {
  const pools = new Map<string, { fingerprint: string; pool: DriverPool; usedAt: number }>();
  const sqlite = createSqliteRunner();

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [id, entry] of pools) if (now - entry.usedAt > IDLE_POOL_MS) void drop(id);
  }, 60_000);
  sweep.unref();

  async function drop(id: string): Promise<void> {
    const entry = pools.get(id);
    if (!entry) return;
    pools.delete(id);
    await entry.pool.close();
  }

  async function credential(row: DataSourceRow, ref: string): Promise<StoredCredential> {
    const accepted = CREDENTIAL_TYPES_FOR[row.type];
    let found: StoredCredential | undefined;
    try {
      found = await deps.credentials.resolve(row.owner_id, ref);
    } catch (err) {
      if (err instanceof NodeError) throw err;
      throw fail(`could not look up credential "${ref}": ${(err as Error).message}`, 'CredentialLookupFailed', true);
    }
    if (!found) throw fail(`credential "${ref}" of data source "${row.name}" not found`, 'CredentialNotFound');
    if (!accepted.includes(found.type)) {
      throw fail(`credential "${ref}" is of type ${found.type}, expected one of ${accepted.join(', ')}`, 'CredentialTypeMismatch');
    }
    const parsed = credentialTypeSpec(found.type)?.schema.safeParse(found.data);
    if (parsed && !parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || 'data'))];
      throw fail(`credential "${ref}" (${found.type}) has missing or invalid fields: ${fields.join(', ')}`, 'InvalidCredential');
    }
    return { ...found, data: (parsed?.data as Record<string, unknown>) ?? found.data };
  }

  async function resolve(row: DataSourceRow): Promise<Resolved> {
    let secrets: Record<string, unknown> = {};
    if (row.secrets_encrypted) {
      try {
        secrets = deps.box.open<Record<string, unknown>>(row.secrets_encrypted);
      } catch (err) {
        if (!(err instanceof SecretBoxError)) throw err;
        throw fail(`the secrets of data source "${row.name}" cannot be decrypted with the configured keys`, 'DataSourceUnreadable');
      }
    }
    const c = row.config;
    const values = (o: Record<string, unknown>) => Object.values(o).filter((v): v is string => typeof v === 'string');
    switch (row.type) {
      case 'postgresql':
      case 'mysql': {
        if (typeof c.credential === 'string') {
          const cred = await credential(row, c.credential);
          const d = cred.data as unknown as SqlSettings;
          const sql = { host: d.host, port: d.port, database: d.database, user: d.user, password: d.password, ssl: d.ssl };
          return { sql, secrets: d.password ? [d.password] : [] };
        }
        const password = typeof secrets.password === 'string' ? secrets.password : undefined;
        const sql = { host: String(c.host), port: c.port as number | undefined, database: String(c.database), user: c.username as string | undefined, password, ssl: c.ssl as boolean | undefined };
        return { sql, secrets: password ? [password] : [] };
      }
      case 'sqlite':
        return { sqliteFile: resolveSqliteFile(deps.dataDir, String(c.path)), secrets: [] };
      case 'api': {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries((secrets.headers as Record<string, string> | undefined) ?? {})) headers[k.toLowerCase()] = v;
        const fromCredential = typeof c.credential === 'string' ? credentialHeader(await credential(row, c.credential)) : {};
        Object.assign(headers, fromCredential);
        return { api: { baseUrl: String(c.base_url), headers }, secrets: values(headers) };
      }
      case 'json':
        return { document: c.data, secrets: [] };
    }
  }

  function poolFor(row: DataSourceRow, sql: SqlSettings): DriverPool {
    const fingerprint = createHash('sha256').update(JSON.stringify([row.type, sql])).digest('hex');
    const entry = pools.get(row.id);
    if (entry && entry.fingerprint === fingerprint) {
      entry.usedAt = Date.now();
      return entry.pool;
    }
    if (entry) void entry.pool.close();
    const pool = row.type === 'postgresql' ? createPostgresPool(sql, deps.allowedHosts) : createMysqlPool(sql, deps.allowedHosts);
    pools.set(row.id, { fingerprint, pool, usedAt: Date.now() });
    return pool;
  }

  /** Runs `fn` with the source resolved; its errors become NodeErrors without the source's secrets. */
  async function withSource<T>(row: DataSourceRow, fn: (r: Resolved) => Promise<T>): Promise<T> {
    let secrets: string[] = [];
    try {
      const r = await resolve(row);
      secrets = r.secrets;
      return await fn(r);
    } catch (err) {
      const redact = secretRedactor(secrets);
      if (err instanceof NodeError) {
        throw new NodeError(redact.text(err.message), { ...err.options, details: redact.value(err.options.details) });
      }
      throw new NodeError(redact.text((err as Error).message ?? String(err)), { retryable: true, type: 'DataSourceError' });
    }
  }

  return {
    /** Runs one query on the data source (pools are opened on first use). */
    query(row: DataSourceRow, request: DataSourceQuery): Promise<DataSourceResult> {
      return withSource(row, async (r) => {
        if (r.sql) return poolFor(row, r.sql).query(request, row.read_only);
        if (r.sqliteFile) return sqlite.query(r.sqliteFile, request, row.read_only);
        if (r.api) return queryApi(r.api, request, deps.allowedHosts);
        return queryJson(r.document, request);
      });
    },

    /** Connects to the data source; the message says what answered. */
    test(row: DataSourceRow): Promise<string> {
      return withSource(row, async (r) => {
        if (r.sql) return poolFor(row, r.sql).test();
        if (r.sqliteFile) {
          const { rows } = await sqlite.query(
            r.sqliteFile,
            { query: "select sqlite_version() as v, (select count(*) from sqlite_master where type = 'table') as n", params: [], limit: 1, timeoutMs: 10_000 },
            true,
          );
          return `Connected: SQLite ${String(rows[0]?.v)}, ${Number(rows[0]?.n)} table(s)`;
        }
        if (r.api) return testApi(r.api, deps.allowedHosts);
        const kind = Array.isArray(r.document) ? `an array of ${(r.document as unknown[]).length} item(s)` : `a ${r.document === null ? 'null' : typeof r.document}`;
        return `The document is ${kind}`;
      });
    },

    /** Closes the data source's pool (its settings changed, or it was deleted). */
    drop,

    /** Closes every pool and the SQLite processes. */
    async close(): Promise<void> {
      clearInterval(sweep);
      await Promise.all([...pools.keys()].map(drop));
      await sqlite.close();
    },
  };
}

/** Connections to data sources. */
export type SourceRuntime = ReturnType<typeof createSourceRuntime>;
