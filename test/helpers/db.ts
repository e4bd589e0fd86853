/**
 * Databases for tests: a fresh SQLite file per suite, and — when `TEST_DATABASE_URL`
 * (postgres://…, a role with CREATEDB) is set — a fresh Postgres database per suite, created next
 * to the one in the URL and dropped afterwards, so parallel runs never share tables.
 * `.ci/postgres.sh` prints a suitable URL.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { createDb, migrateLatest, type Db } from '../../src/storage/db';

export type TestDialect = 'sqlite' | 'pg';

/** A throw-away database. */
export interface TestDb {
  dialect: TestDialect;
  db: Db;
  /** What `createDb` was given, so a test can open a second handle on the same database. */
  database: { client: 'sqlite'; filename: string } | { client: 'pg'; url: string };
  /** Closes the handle and deletes the database. */
  destroy(): Promise<void>;
}

/** The Postgres server tests may use (tests may read process.env; the application may not). */
export function testDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = env.TEST_DATABASE_URL;
  return url && /^postgres(ql)?:\/\//.test(url) ? url : undefined;
}

/** A fresh, empty SQLite database in a temp directory. */
export async function createSqliteTestDb(): Promise<TestDb> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-test-'));
  const database = { client: 'sqlite' as const, filename: path.join(dir, 'test.sqlite') };
  const db = createDb(database);
  return {
    dialect: 'sqlite',
    db,
    database,
    async destroy() {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh, empty Postgres database `flows_test_<random>` on the server of `baseUrl`. */
export async function createPgTestDb(baseUrl: string): Promise<TestDb> {
  const name = `flows_test_${randomBytes(6).toString('hex')}`;
  const admin = () => knex({ client: 'pg', connection: baseUrl, pool: { min: 0, max: 1 } });
  const a = admin();
  try {
    await a.raw('create database ??', [name]);
  } finally {
    await a.destroy();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const database = { client: 'pg' as const, url: url.toString() };
  const db = createDb(database, { pool: { max: 5 } });
  return {
    dialect: 'pg',
    db,
    database,
    async destroy() {
      await db.destroy();
      const b = admin();
      try {
        await b.raw('drop database if exists ?? with (force)', [name]);
      } finally {
        await b.destroy();
      }
    },
  };
}

/** The context a {@link describeEachDialect} body sees; `db` is set once the suite's `before` ran. */
export interface DialectContext {
  readonly dialect: TestDialect;
  readonly db: Db;
  readonly testDb: TestDb;
}

/**
 * Declares `describe('<title> (sqlite)')` and `describe('<title> (postgres)')`, each with its own
 * fresh database (migrated unless `migrate: false`). Without `TEST_DATABASE_URL` the Postgres
 * suite is reported as pending.
 */
export function describeEachDialect(
  title: string,
  body: (ctx: DialectContext) => void,
  options: { migrate?: boolean } = {},
): void {
  for (const dialect of ['sqlite', 'pg'] as const) {
    describe(`${title} (${dialect === 'pg' ? 'postgres' : 'sqlite'})`, function () {
      let testDb: TestDb | undefined;
      const ctx: DialectContext = {
        dialect,
        get db() {
          if (!testDb) throw new Error('test database not created yet');
          return testDb.db;
        },
        get testDb() {
          if (!testDb) throw new Error('test database not created yet');
          return testDb;
        },
      };

      before(async function () {
        const url = testDatabaseUrl();
        if (dialect === 'pg' && !url) {
          this.skip();
          return;
        }
        testDb = dialect === 'pg' ? await createPgTestDb(url as string) : await createSqliteTestDb();
        if (options.migrate !== false) await migrateLatest(testDb.db);
      });

      after(async () => {
        await testDb?.destroy();
        testDb = undefined;
      });

      body(ctx);
    });
  }
}
