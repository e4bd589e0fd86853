import pg from 'pg';
import { NodeError } from '../../nodes/node-error';
import { arm, cancelledError, CLIENT_TIMEOUT_GRACE_MS, jsonRows, timeoutError, type DriverPool, type SqlSettings } from './driver';
import { assertHostLiteralAllowed, guardedSocketFactory } from './guarded-socket';

// Dates and timestamps as Postgres prints them: a JS Date would shift `timestamp` (no zone) into
// the worker's zone.
const TEXT_TYPES = new Set([1082, 1083, 1114, 1184, 1266]);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    TEXT_TYPES.has(oid) ? (v: string) => v : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** The parts of a pg result the pool reads. */
interface RawResult {
  rows: Record<string, unknown>[];
  fields: { name: string }[];
  rowCount: number | null;
  command: string;
}

/**
 * A query that fetches at most `rows` rows through the extended protocol: when the server says
 * more are left (PortalSuspended) it stops there instead of asking for the next batch.
 */
class LimitedQuery extends pg.Query {
  handlePortalSuspended(connection: { sync(): void }): void {
    connection.sync();
  }

  // With a row count pg leaves the Sync to the query, also after an error: without it the server
  // would ignore everything until one comes, and the connection would hang.
  handleError(err: Error, connection: { sync(): void }): void {
    connection.sync();
    (pg.Query.prototype as unknown as { handleError(e: Error, c: unknown): void }).handleError.call(this, err, connection);
  }
}

function runLimited(client: pg.PoolClient, text: string, values: unknown[], rows: number): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    // The extended protocol also refuses several statements in one text, so `…; COMMIT; …` cannot
    // step out of the read-only transaction.
    const q = new LimitedQuery({ text, values, rows, types } as pg.QueryConfig, (err, res) =>
      err ? reject(err) : resolve(res as unknown as RawResult),
    );
    client.query(q);
  });
}

/**
 * Whether a failure may pass with another attempt: no SQLSTATE (network), or classes 08
 * (connection; not 08P01, a protocol violation such as a wrong parameter count), 40
 * (serialization, deadlock), 53 (out of resources) and 57P (server shutting down).
 */
function retryableCode(code: string): boolean {
  if (code === '08P01') return false;
  return code.startsWith('08') || code.startsWith('40') || code.startsWith('53') || code.startsWith('57P');
}

/** A driver failure as a NodeError with the server's own message (never the settings). */
export function postgresError(err: unknown, timeoutMs: number): NodeError {
  if (err instanceof NodeError) return err;
  const e = err as { code?: unknown; message?: string };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code === '57014') return timeoutError(timeoutMs);
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    const retryable = retryableCode(code);
    const type = code.startsWith('28') ? 'AuthenticationFailed' : retryable ? 'ConnectionFailed' : 'SqlError';
    return new NodeError(e.message ?? 'query failed', { retryable, type, details: { code } });
  }
  return new NodeError(`Could not reach the database: ${e.message ?? String(err)}`, {
    retryable: true,
    type: 'ConnectionFailed',
    details: code ? { code } : undefined,
  });
}

/** A connection pool to one PostgreSQL database (docs/data-sources.md). */
export function createPostgresPool(settings: SqlSettings, allowedHosts: readonly string[]): DriverPool {
  assertHostLiteralAllowed(settings.host, allowedHosts);
  const pool = new pg.Pool({
    host: settings.host,
    port: settings.port ?? 5432,
    database: settings.database,
    user: settings.user,
    password: settings.password,
    ssl: settings.ssl ? { servername: settings.host } : false,
    stream: guardedSocketFactory(allowedHosts),
    application_name: 'temporal-flows',
    max: 5,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle connection the server closed: the pool drops it; without a listener it would crash the process.
  pool.on('error', () => undefined);
  const watched = new WeakSet<pg.PoolClient>();

  return {
    async query(request, readOnly) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw postgresError(err, request.timeoutMs);
      }
      // A connection dropped while checked out (timeout, cancel, server gone) emits 'error' on
      // the client; the pool listens only while it is idle.
      if (!watched.has(client)) {
        watched.add(client);
        client.on('error', () => undefined);
      }
      let gaveUp: NodeError | undefined;
      const disarm = arm(request.timeoutMs + CLIENT_TIMEOUT_GRACE_MS, request.signal, (why) => {
        gaveUp ??= why === 'timeout' ? timeoutError(request.timeoutMs) : cancelledError();
        // The server may be stuck too: dropping the connection ends the wait on this side.
        (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      });
      let broken = false;
      try {
        await client.query(readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
        await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(request.timeoutMs))}`);
        const res = await runLimited(client, request.query, request.params, request.limit + 1);
        await client.query(readOnly ? 'ROLLBACK' : 'COMMIT');
        const truncated = res.rows.length > request.limit;
        const returnsRows = res.fields.length > 0;
        return {
          rows: jsonRows(truncated ? res.rows.slice(0, request.limit) : res.rows),
          columns: res.fields.map((f) => f.name),
          truncated,
          affectedRows: returnsRows ? null : (res.rowCount ?? 0),
        };
      } catch (err) {
        if (gaveUp) {
          broken = true;
          throw gaveUp;
        }
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw postgresError(err, request.timeoutMs);
      } finally {
        disarm();
        // Session settings a statement changed (SET, temporary tables) must not reach the next user.
        if (!broken && !gaveUp) await client.query('DISCARD ALL').catch(() => (broken = true));
        client.release(broken || Boolean(gaveUp));
      }
    },

    async test() {
      let client: pg.PoolClient | undefined;
      try {
        client = await pool.connect();
        const { rows } = await client.query<{ v: string }>('select version() as v');
        return `Connected: ${String(rows[0]?.v ?? 'PostgreSQL').split(' ').slice(0, 2).join(' ')}`;
      } catch (err) {
        throw postgresError(err, 0);
      } finally {
        client?.release();
      }
    },

    async close() {
      await pool.end().catch(() => undefined);
    },
  };
}
