import mysql from 'mysql2';
import { NodeError } from '../../nodes/node-error';
import { arm, cancelledError, CLIENT_TIMEOUT_GRACE_MS, jsonRows, timeoutError, type DriverPool, type SqlSettings } from './driver';
import { assertHostLiteralAllowed, guardedConnect } from './guarded-socket';

type Conn = mysql.PoolConnection;

/** What one statement gave back. */
interface RawResult {
  rows: Record<string, unknown>[];
  columns: string[];
  truncated: boolean;
  affectedRows: number | null;
}

// Client and network errors that another attempt may get past.
const RETRYABLE_ERRNOS = new Set([1040, 1205, 1213, 2002, 2003, 2006, 2013]);
// Interrupted by max_statement_time (MariaDB), max_execution_time (MySQL) or KILL QUERY.
const TIMEOUT_ERRNOS = new Set([1969, 3024, 1317]);

/** A driver failure as a NodeError with the server's own message (never the settings). */
export function mysqlError(err: unknown, timeoutMs: number): NodeError {
  if (err instanceof NodeError) return err;
  const e = err as { errno?: unknown; code?: unknown; sqlState?: unknown; message?: string; fatal?: boolean };
  const errno = typeof e.errno === 'number' ? e.errno : undefined;
  if (errno !== undefined && TIMEOUT_ERRNOS.has(errno)) return timeoutError(timeoutMs);
  if (errno !== undefined && e.sqlState !== undefined) {
    const retryable = RETRYABLE_ERRNOS.has(errno);
    const type = errno === 1045 ? 'AuthenticationFailed' : retryable ? 'ConnectionFailed' : 'SqlError';
    return new NodeError(e.message ?? 'query failed', { retryable, type, details: { code: e.code, errno } });
  }
  return new NodeError(`Could not reach the database: ${e.message ?? String(err)}`, {
    retryable: true,
    type: 'ConnectionFailed',
    details: typeof e.code === 'string' ? { code: e.code } : undefined,
  });
}

function run(conn: Conn, sql: string): Promise<void> {
  return new Promise((resolve, reject) => conn.query(sql, (err) => (err ? reject(err) : resolve())));
}

/**
 * Executes one prepared statement (values bound by the server, never spliced into the SQL),
 * keeping at most `limit + 1` rows. Past that, a read-only statement is cut off by dropping the
 * connection (nothing to lose); a writing one is read to its end so it completes and commits.
 */
function execute(conn: Conn, sql: string, values: unknown[], limit: number, cutOff: boolean): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const out: RawResult = { rows: [], columns: [], truncated: false, affectedRows: null };
    let settled = false;
    let fields: { name: string }[] | undefined;
    const cmd = conn.execute({ sql, values: values as never });
    cmd.on('fields', (f: { name: string }[] | undefined) => {
      fields = f;
      if (f) out.columns = f.map((c) => c.name);
    });
    cmd.on('result', (row: Record<string, unknown>) => {
      if (settled) return;
      if (!fields) {
        out.affectedRows = Number((row as { affectedRows?: number }).affectedRows ?? 0);
        return;
      }
      if (out.rows.length <= limit) out.rows.push(row);
      if (out.rows.length > limit) {
        out.truncated = true;
        if (cutOff) {
          settled = true;
          conn.destroy();
          resolve(out);
        }
      }
    });
    cmd.on('error', (err: unknown) => {
      if (settled) return;
      settled = true;
      reject(err);
    });
    cmd.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(out);
    });
  });
}

/** A connection pool to one MySQL or MariaDB database (docs/data-sources.md). */
export function createMysqlPool(settings: SqlSettings, allowedHosts: readonly string[]): DriverPool {
  assertHostLiteralAllowed(settings.host, allowedHosts);
  const port = settings.port ?? 3306;
  const pool = mysql.createPool({
    host: settings.host,
    port,
    database: settings.database,
    user: settings.user,
    password: settings.password,
    ssl: settings.ssl ? {} : undefined,
    stream: () => guardedConnect(settings.host, port, allowedHosts),
    connectionLimit: 5,
    maxIdle: 5,
    idleTimeout: 30_000,
    connectTimeout: 10_000,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    multipleStatements: false,
    // LOAD DATA LOCAL would let the server read files of the worker.
    flags: ['-LOCAL_FILES'],
    maxPreparedStatements: 100,
  });
  pool.on('connection', (conn) => conn.on('error', () => undefined));
  let mariadb: boolean | undefined;

  const connect = (): Promise<Conn> =>
    new Promise((resolve, reject) => pool.getConnection((err, conn) => (err ? reject(err) : resolve(conn))));

  const version = (conn: Conn): Promise<string> =>
    new Promise((resolve, reject) =>
      conn.query('SELECT VERSION() AS v', (err, rows) => (err ? reject(err) : resolve(String((rows as { v: string }[])[0]?.v ?? '')))),
    );

  return {
    async query(request, readOnly) {
      let conn: Conn;
      try {
        conn = await connect();
        mariadb ??= /mariadb/i.test(await version(conn));
      } catch (err) {
        throw mysqlError(err, request.timeoutMs);
      }
      let gaveUp: NodeError | undefined;
      const disarm = arm(request.timeoutMs + CLIENT_TIMEOUT_GRACE_MS, request.signal, (why) => {
        gaveUp ??= why === 'timeout' ? timeoutError(request.timeoutMs) : cancelledError();
        const id = conn.threadId;
        conn.destroy();
        // The server goes on with a statement whose client left: stop it (best effort).
        if (id) pool.query(`KILL QUERY ${Number(id)}`, () => undefined);
      });
      let cutOff = false;
      let broken = false;
      try {
        const ms = Math.max(1, Math.floor(request.timeoutMs));
        // MariaDB: every statement; MySQL: SELECTs only (the client-side timeout covers the rest).
        await run(conn, mariadb ? `SET SESSION max_statement_time = ${ms / 1000}` : `SET SESSION max_execution_time = ${ms}`);
        // The session default as well: DDL commits implicitly and would otherwise run outside the
        // read-only transaction, in a new read-write one.
        await run(conn, readOnly ? 'SET SESSION TRANSACTION READ ONLY' : 'SET SESSION TRANSACTION READ WRITE');
        await run(conn, readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION');
        const res = await execute(conn, request.query, request.params.map(bindable), request.limit, readOnly);
        // A read-only statement cut off at the limit took its connection (and transaction) with it.
        cutOff = res.truncated && readOnly;
        if (!cutOff) await run(conn, readOnly ? 'ROLLBACK' : 'COMMIT');
        return {
          rows: jsonRows(res.truncated ? res.rows.slice(0, request.limit) : res.rows),
          columns: res.columns,
          truncated: res.truncated,
          affectedRows: res.affectedRows,
        };
      } catch (err) {
        if (gaveUp) throw gaveUp;
        await run(conn, 'ROLLBACK').catch(() => (broken = true));
        throw mysqlError(err, request.timeoutMs);
      } finally {
        disarm();
        if (broken) conn.destroy();
        else if (!gaveUp && !cutOff) conn.release();
      }
    },

    async test() {
      let conn: Conn | undefined;
      try {
        conn = await connect();
        const v = await version(conn);
        mariadb = /mariadb/i.test(v);
        return `Connected: ${mariadb ? 'MariaDB' : 'MySQL'} ${v.split('-')[0]}`;
      } catch (err) {
        throw mysqlError(err, 0);
      } finally {
        conn?.release();
      }
    },

    async close() {
      await new Promise<void>((resolve) => pool.end(() => resolve()));
    },
  };
}

/** Values the binary protocol takes: objects and arrays as JSON text, booleans as 1/0. */
function bindable(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) return JSON.stringify(value);
  return value;
}
