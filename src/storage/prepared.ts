import { type Knex } from 'knex';
import { dialectOf } from './codec';

/** A value a prepared statement binds (a boolean becomes 0/1 on SQLite). */
export type SqlValue = string | number | boolean | null;

/**
 * Reads through prepared statements that are built once per SQL text and connection, for the API's
 * hottest reads. knex compiles the SQL of every builder call and its better-sqlite3 dialect
 * prepares it again each time; that costs ~20 times the query itself on a primary-key lookup.
 *
 * The SQL is written once for both dialects with `?` placeholders (renumbered to `$n` for
 * Postgres) and double-quoted identifiers. Connections come from knex's pool, so a statement never
 * runs inside another caller's transaction; inside a transaction (`db.isTransaction`) the query
 * goes through `trx.raw` on the transaction's connection.
 */
export interface PreparedReads {
  all<T = Record<string, unknown>>(sql: string, params: readonly SqlValue[]): Promise<T[]>;
  first<T = Record<string, unknown>>(sql: string, params: readonly SqlValue[]): Promise<T | undefined>;
  /**
   * A lookup by one text column whose calls are batched: the keys asked for in one turn of the
   * event loop go to the database as one query, and each caller gets the rows with its key (its
   * own copy when several asked for the same key).
   * `sql` is the query without its key condition, which is added in front of `where`
   * (`select … from "flows" where "deleted_at" is null` → `… where "id" in (keys) and "deleted_at" is null`).
   * Inside a transaction every call is its own query, on the transaction's connection.
   */
  batchedByKey<T extends Record<string, unknown>>(sql: string, keyColumn: string): (key: string) => Promise<T[]>;
}

/** The most keys one batched query carries; a larger batch is split. */
export const MAX_BATCH_KEYS = 500;

interface SqliteStatement {
  all(...params: unknown[]): unknown[];
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}
interface PgConnection {
  query(config: { name: string; text: string; values: readonly unknown[] }): Promise<{ rows: unknown[] }>;
}

/** `?` placeholders as Postgres's `$1, $2…` (the SQL given here never contains a literal `?`). */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Prepared reads over `db`'s pool (or its connection, for a transaction). */
export function preparedReads(db: Knex): PreparedReads {
  const dialect = dialectOf(db);
  const client = db.client as {
    acquireConnection(): Promise<unknown>;
    releaseConnection(conn: unknown): Promise<unknown>;
  };

  async function all<T>(sql: string, params: readonly SqlValue[]): Promise<T[]> {
    if (db.isTransaction) {
      const result = (await db.raw(sql, params as Knex.RawBinding[])) as { rows?: T[] } | T[];
      return Array.isArray(result) ? result : (result.rows ?? []);
    }
    const conn = await client.acquireConnection();
    try {
      return dialect === 'pg'
        ? ((await pgQuery(conn as PgConnection, sql, params)) as T[])
        : (sqliteStatement(conn as SqliteConnection, sql).all(...params.map(sqliteValue)) as T[]);
    } finally {
      await client.releaseConnection(conn);
    }
  }

  function batchedByKey<T extends Record<string, unknown>>(sql: string, keyColumn: string): (key: string) => Promise<T[]> {
    const at = sql.search(/\swhere\s/i);
    if (at < 0) throw new Error(`batchedByKey: no where clause in ${sql}`);
    // One statement for every batch size: the keys are bound as one array (Postgres) or one JSON
    // array (SQLite), so the statement is prepared once.
    const condition = dialect === 'pg' ? `"${keyColumn}" = any(?::text[])` : `"${keyColumn}" in (select "value" from json_each(?))`;
    const batchSql = `${sql.slice(0, at)} where ${condition} and ${sql.slice(at + ' where '.length)}`;
    const keysParam = (keys: string[]): SqlValue => (dialect === 'pg' ? pgTextArray(keys) : JSON.stringify(keys));
    let pending: Map<string, Waiter<T[]>[]> | undefined;

    function run(keys: string[], waiters: Map<string, Waiter<T[]>[]>): void {
      all<T>(batchSql, [keysParam(keys)]).then(
        (rows) => {
          const byKey = new Map<string, T[]>();
          for (const row of rows) {
            const k = row[keyColumn] as string;
            const list = byKey.get(k);
            if (list) list.push(row);
            else byKey.set(k, [row]);
          }
          for (const k of keys) {
            const found = byKey.get(k) ?? [];
            // Callers asking for the same key each get their own rows when they hold objects (on
            // Postgres a JSON column arrives as objects, which one caller could otherwise change
            // under another's feet); rows of plain values are shared as they are.
            const copy = found.some(holdsObjects);
            waiters.get(k)!.forEach((w, i) => w.resolve(i > 0 && copy ? structuredClone(found) : found));
          }
        },
        (err: unknown) => {
          for (const k of keys) for (const w of waiters.get(k)!) w.reject(err);
        },
      );
    }

    function flush(): void {
      const waiters = pending!;
      pending = undefined;
      const keys = [...waiters.keys()];
      for (let i = 0; i < keys.length; i += MAX_BATCH_KEYS) run(keys.slice(i, i + MAX_BATCH_KEYS), waiters);
    }

    return (key) => {
      if (db.isTransaction) return all<T>(batchSql, [keysParam([key])]);
      return new Promise<T[]>((resolve, reject) => {
        if (!pending) {
          pending = new Map();
          // After the poll phase: every request read from the sockets in this turn has asked.
          setImmediate(flush);
        }
        const list = pending.get(key);
        if (list) list.push({ resolve, reject });
        else pending.set(key, [{ resolve, reject }]);
      });
    };
  }

  return {
    all,
    async first<T>(sql: string, params: readonly SqlValue[]) {
      return (await all<T>(sql, params))[0];
    },
    batchedByKey,
  };
}

/**
 * `keys` as a Postgres text[] literal (`{"a","b"}`). Bound as one string rather than a JS array,
 * which `trx.raw` would expand into one placeholder per element.
 */
export function pgTextArray(keys: readonly string[]): string {
  return `{${keys.map((k) => `"${k.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** Whether a row has a value that is an object (which callers could change), not only plain values. */
const holdsObjects = (row: Record<string, unknown>) => Object.values(row).some((v) => typeof v === 'object' && v !== null);

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

const sqliteValue = (v: SqlValue) => (typeof v === 'boolean' ? Number(v) : v);

const sqliteStatements = new WeakMap<object, Map<string, SqliteStatement>>();

function sqliteStatement(conn: SqliteConnection, sql: string): SqliteStatement {
  let cache = sqliteStatements.get(conn);
  if (!cache) sqliteStatements.set(conn, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) cache.set(sql, (stmt = conn.prepare(sql)));
  return stmt;
}

/** Statement names by SQL text: pg prepares a named statement once per connection and reuses it. */
const pgNames = new Map<string, { name: string; text: string }>();

async function pgQuery(conn: PgConnection, sql: string, params: readonly SqlValue[]): Promise<unknown[]> {
  let prepared = pgNames.get(sql);
  if (!prepared) pgNames.set(sql, (prepared = { name: `tf_${pgNames.size + 1}`, text: toPgPlaceholders(sql) }));
  return (await conn.query({ name: prepared.name, text: prepared.text, values: params })).rows;
}
