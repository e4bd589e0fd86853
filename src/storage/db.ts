import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import knex, { type Knex } from 'knex';
import { type Config } from '../config';
import { migrationSource, type NamedMigration } from './migrations';
import { cacheStatements, type PreparingConnection } from './sqlite-statement-cache';

/** A knex instance connected to the platform's database. */
export type Db = Knex;

/** Pool tuning for Postgres; SQLite always uses a single connection. */
export interface DbOptions {
  pool?: { min?: number; max?: number };
  /** How long a query may wait for a free connection. */
  acquireTimeoutMs?: number;
  /** Where knex's own warnings go (pool errors, deprecations); default: the console. */
  logger?: DbLogger;
}

/** The subset of a pino-style logger knex reports to. */
export interface DbLogger {
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

function knexLog(logger: DbLogger | undefined): Knex.Config['log'] {
  if (!logger) return undefined;
  const text = (m: unknown) =>
    m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m);
  return {
    warn: (m: unknown) => logger.warn(text(m)),
    error: (m: unknown) => logger.error(text(m)),
    deprecate: (m: unknown) => logger.warn(text(m)),
    debug: (m: unknown) => logger.debug(text(m)),
  };
}

const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * Opens the database described by `config.database`: SQLite through better-sqlite3 (the file's
 * directory is created; WAL, foreign keys and a busy timeout are switched on for every
 * connection) or Postgres through pg with a connection pool.
 */
export function createDb(database: Config['database'], options: DbOptions = {}): Db {
  if (database.client === 'pg') {
    return knex({
      client: 'pg',
      connection: { connectionString: database.url, application_name: 'temporal-flows' },
      pool: { min: options.pool?.min ?? 0, max: options.pool?.max ?? 10, idleTimeoutMillis: 30_000 },
      acquireConnectionTimeout: options.acquireTimeoutMs ?? 10_000,
      log: knexLog(options.logger),
    });
  }

  const filename = database.filename;
  const inMemory = filename === ':memory:' || filename === '';
  if (!inMemory) fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
  return knex({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    // better-sqlite3 is synchronous: a second connection waiting on a lock would block the event
    // loop while the connection holding it cannot progress. One connection serialises instead.
    pool: {
      min: 1,
      max: 1,
      afterCreate: (
        conn: PreparingConnection & { pragma(source: string): unknown },
        done: (err: Error | null, conn: unknown) => void,
      ) => {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma('foreign_keys = ON');
          conn.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
          conn.pragma('synchronous = NORMAL');
          cacheStatements(conn);
          done(null, conn);
        } catch (err) {
          done(err as Error, conn);
        }
      },
    },
    acquireConnectionTimeout: options.acquireTimeoutMs ?? 60_000,
    log: knexLog(options.logger),
  });
}

const migratorConfig: Knex.MigratorConfig = { migrationSource, tableName: 'knex_migrations' };

/** Postgres advisory lock key held while migrating (any fixed bigint; this one spells "flowsmig"). */
export const MIGRATION_LOCK_KEY = 0x666c6f77736d6967n;
/** How long a starter waits for another one's migrations before giving up. */
const MIGRATION_LOCK_TIMEOUT_MS = 5 * 60_000;
const MIGRATION_LOCK_POLL_MS = 50;

/** The SQLite file `db` is connected to, or undefined for an in-memory database or Postgres. */
function sqliteFile(db: Db): string | undefined {
  const connection = (db.client.config as Knex.Config).connection as { filename?: string } | undefined;
  const filename = connection?.filename;
  return db.client.config.client === 'better-sqlite3' && filename && filename !== ':memory:' ? filename : undefined;
}

/**
 * Runs `fn` while holding a lock that every process migrating the same database takes, so an API
 * and a worker starting at once on a fresh database do not both create knex's own tables (one of
 * them failed with "knex_migrations already exists") or race for its lock row.
 *
 * Postgres: a session-level `pg_advisory_lock` on a connection of its own (`fn` uses others, so the
 * pool needs at least two); the server drops it if the process dies. SQLite: an exclusive
 * transaction on `<file>-migrate.lock`, a small SQLite file of its own next to the database
 * (locking the database itself would block the migration's own connection); the operating system
 * drops it if the process dies. Waiting is polled, never a busy wait, so the event loop stays free.
 */
async function withMigrationLock<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  if (db.client.config.client === 'pg') {
    const conn = (await db.client.acquireConnection()) as { query(sql: string, values: unknown[]): Promise<unknown> };
    try {
      await conn.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
      try {
        return await fn();
      } finally {
        await conn.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
      }
    } finally {
      await db.client.releaseConnection(conn);
    }
  }
  const file = sqliteFile(db);
  if (!file) return fn();
  const lock = new Database(`${path.resolve(file)}-migrate.lock`);
  try {
    lock.pragma('busy_timeout = 0');
    const deadline = Date.now() + MIGRATION_LOCK_TIMEOUT_MS;
    for (;;) {
      try {
        lock.exec('BEGIN EXCLUSIVE');
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
        if (Date.now() > deadline) throw new Error(`another process has been migrating ${file} for ${MIGRATION_LOCK_TIMEOUT_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, MIGRATION_LOCK_POLL_MS));
      }
    }
    return await fn();
  } finally {
    lock.close();
  }
}

/**
 * Applies every pending migration; returns the names of the ones it ran (none when another process
 * applied them first). Safe to call from several processes at once: see {@link withMigrationLock}.
 */
export async function migrateLatest(db: Db): Promise<string[]> {
  return withMigrationLock(db, async () => {
    const [, applied] = (await db.migrate.latest(migratorConfig)) as [number, string[]];
    return applied;
  });
}

/** Reverts the most recently applied migration; returns its name (or nothing when none was applied). */
export async function migrateDown(db: Db): Promise<string[]> {
  return withMigrationLock(db, async () => {
    const [, reverted] = (await db.migrate.down(migratorConfig)) as [number, string[]];
    return reverted;
  });
}

/** Reverts every applied migration, newest first; returns their names. */
export async function rollbackAll(db: Db): Promise<string[]> {
  return withMigrationLock(db, async () => {
    const [, reverted] = (await db.migrate.rollback(migratorConfig, true)) as [number, string[]];
    return reverted;
  });
}

/** Names of the migrations known to the code that are not applied yet. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  // Listing creates knex's tables when they are missing, so it takes the lock too.
  return withMigrationLock(db, async () => {
    const [, pending] = (await db.migrate.list(migratorConfig)) as [unknown[], NamedMigration[]];
    return pending.map((m) => m.name);
  });
}

/** The database's health for `/health`: never throws. */
export interface DbHealth {
  ok: boolean;
  latency_ms: number;
  error?: string;
}

/** Runs a trivial query, reporting whether it succeeded within `timeoutMs` and how long it took. */
export async function checkDb(db: Db, timeoutMs = 2000): Promise<DbHealth> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      db.raw('select 1'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, latency_ms: Math.round(performance.now() - started), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
