import fs from 'node:fs';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { type Config } from '../config';
import { migrationSource, type NamedMigration } from './migrations';

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
        conn: { pragma(source: string): unknown },
        done: (err: Error | null, conn: unknown) => void,
      ) => {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma('foreign_keys = ON');
          conn.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
          conn.pragma('synchronous = NORMAL');
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

/** Applies every pending migration; returns the names of the ones it ran. */
export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migratorConfig)) as [number, string[]];
  return applied;
}

/** Reverts the most recently applied migration; returns its name (or nothing when none was applied). */
export async function migrateDown(db: Db): Promise<string[]> {
  const [, reverted] = (await db.migrate.down(migratorConfig)) as [number, string[]];
  return reverted;
}

/** Reverts every applied migration, newest first; returns their names. */
export async function rollbackAll(db: Db): Promise<string[]> {
  const [, reverted] = (await db.migrate.rollback(migratorConfig, true)) as [number, string[]];
  return reverted;
}

/** Names of the migrations known to the code that are not applied yet. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const [, pending] = (await db.migrate.list(migratorConfig)) as [unknown[], NamedMigration[]];
  return pending.map((m) => m.name);
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
