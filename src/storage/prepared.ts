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
}

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

  return {
    all,
    async first<T>(sql: string, params: readonly SqlValue[]) {
      return (await all<T>(sql, params))[0];
    },
  };
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
