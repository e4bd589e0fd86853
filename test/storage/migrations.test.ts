import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkDb,
  createDb,
  migrateDown,
  migrateLatest,
  pendingMigrations,
  rollbackAll,
} from '../../src/storage/db';
import { migrations } from '../../src/storage/migrations';
import { createPgTestDb, describeEachDialect, testDatabaseUrl, type TestDb } from '../helpers/db';
import { raceInChildren } from '../helpers/race-children';

const TABLES = [
  'users',
  'api_keys',
  'flows',
  'flow_versions',
  'executions',
  'execution_logs',
  'credentials',
  'events_seen',
  'webhooks',
  'webhook_deliveries',
  'payload_blobs',
  'execution_events',
  'pending_approvals',
  'pending_approval_approvers',
  'flow_hooks',
  'approval_link_uses',
  'tools',
  'data_sources',
  'audit_logs',
  'node_test_results',
  'execution_item_steps',
];

describeEachDialect(
  'migrations',
  (ctx) => {
    async function existing(): Promise<string[]> {
      const found: string[] = [];
      for (const t of TABLES) if (await ctx.db.schema.hasTable(t)) found.push(t);
      return found;
    }

    it('applies every migration on an empty database and creates every table', async () => {
      assert.deepEqual(await existing(), []);
      assert.deepEqual(
        await pendingMigrations(ctx.db),
        migrations.map((m) => m.name),
      );
      const applied = await migrateLatest(ctx.db);
      assert.deepEqual(
        applied,
        migrations.map((m) => m.name),
      );
      assert.deepEqual(await existing(), TABLES);
      assert.deepEqual(await pendingMigrations(ctx.db), []);
      assert.deepEqual(await migrateLatest(ctx.db), [], 'a second run applies nothing');
    });

    it('creates the columns the repositories rely on', async () => {
      const info = await ctx.db('executions').columnInfo();
      for (const c of [
        'idempotency_key',
        'temporal_workflow_id',
        'parent_execution_id',
        'execution_time_ms',
      ]) {
        assert.ok(c in info, `executions.${c}`);
      }
      assert.ok('deleted_at' in (await ctx.db('flows').columnInfo()));
      const flowsTrigger = (await ctx.db('flows').columnInfo()).trigger;
      assert.equal(flowsTrigger.type, ctx.dialect === 'pg' ? 'jsonb' : 'text');
    });

    it('enforces constraints declared by the migrations', async () => {
      const now = new Date().toISOString();
      const user = {
        id: 'u1',
        username: 'ann',
        email: 'ann@example.test',
        password_hash: 'x',
        role: 'user',
        created_at: now,
        updated_at: now,
      };
      await ctx.db('users').insert(user);
      await assert.rejects(
        ctx.db('users').insert({ ...user, id: 'u2', email: 'other@example.test' }),
        'unique username',
      );
      await assert.rejects(
        ctx.db('users').insert({ ...user, id: 'u3', username: 'bob', role: 'root' }),
        'role check',
      );
      await assert.rejects(
        ctx.db('api_keys').insert({
          id: 'k1',
          owner_id: 'nobody',
          name: 'k',
          prefix: 'p',
          key_hash: 'h',
          scopes: '[]',
          created_at: now,
        }),
        'api key owner must exist',
      );
      await ctx.db('users').delete();
    });

    /** The table's secondary indexes (not primary keys or unique constraints), sorted. */
    async function indexNames(table: string): Promise<string[]> {
      const rows: { name: string }[] =
        ctx.db.client.dialect === 'postgresql'
          ? (await ctx.db.raw("select indexname as name from pg_indexes where tablename = ? and indexname not like '%_pkey'", [table])).rows
          : await ctx.db.raw(`select name from sqlite_master where type = 'index' and tbl_name = ? and name not like 'sqlite_autoindex%'`, [table]);
      return rows.map((r) => r.name).sort();
    }

    it('migrates down one step at a time', async () => {
      const down = migrations.slice(migrations.findIndex((m) => m.name === '0007-execution-events')).map((m) => m.name).reverse();
      for (const name of down) {
        assert.deepEqual(await migrateDown(ctx.db), [name]);
        if (name === '0008-flow-hooks') assert.equal(await ctx.db.schema.hasTable('flow_hooks'), false);
        if (name === '0013-audit-logs') assert.equal(await ctx.db.schema.hasTable('audit_logs'), false);
        if (name === '0014-node-test-results') assert.equal(await ctx.db.schema.hasTable('node_test_results'), false);
        if (name === '0015-loop-item-steps') {
          assert.equal(await ctx.db.schema.hasTable('execution_item_steps'), false);
          assert.equal(await ctx.db.schema.hasColumn('execution_logs', 'item_index'), false);
        }
        if (name === '0012-tools') assert.equal(await ctx.db.schema.hasTable('tools'), false);
        if (name === '0011-data-sources') assert.equal(await ctx.db.schema.hasTable('data_sources'), false);
        if (name === '0009-webhook-deliveries-links') {
          assert.equal(await ctx.db.schema.hasTable('approval_link_uses'), false);
          assert.equal(await ctx.db.schema.hasColumn('webhook_deliveries', 'status'), false);
          assert.equal(await ctx.db.schema.hasColumn('webhooks', 'workflow_id'), false);
        }
      }
      assert.deepEqual(await pendingMigrations(ctx.db), [...down].reverse());
      assert.equal(await ctx.db.schema.hasTable('execution_events'), false);
      assert.equal(await ctx.db.schema.hasTable('pending_approvals'), false);
      assert.equal(await ctx.db.schema.hasColumn('executions', 'checked_at'), false);
      assert.equal(await ctx.db.schema.hasTable('payload_blobs'), true);
      assert.deepEqual(await migrateLatest(ctx.db), [...down].reverse());
    });

    it('indexes the flow list by owner, updated_at and id (0005), and reverts to the older index', async () => {
      assert.deepEqual(await indexNames('flows'), ['flows_owner_id_created_at_index', 'flows_owner_updated_id_index']);
      const down = migrations.slice(migrations.findIndex((m) => m.name === '0005-flow-list-index')).map((m) => m.name).reverse();
      for (const name of down) assert.deepEqual(await migrateDown(ctx.db), [name]);
      assert.deepEqual(await indexNames('flows'), ['flows_owner_id_created_at_index', 'flows_owner_id_updated_at_index']);
      await migrateLatest(ctx.db);
      assert.deepEqual(await indexNames('flows'), ['flows_owner_id_created_at_index', 'flows_owner_updated_id_index']);
    });

    it('rolls everything back, then applies it again', async () => {
      const reverted = await rollbackAll(ctx.db);
      assert.deepEqual(reverted, migrations.map((m) => m.name).reverse());
      assert.deepEqual(await existing(), []);
      await migrateLatest(ctx.db);
      assert.deepEqual(await existing(), TABLES);
    });

    it('reports health with latency', async () => {
      const health = await checkDb(ctx.db);
      assert.equal(health.ok, true);
      assert.equal(typeof health.latency_ms, 'number');
      assert.ok(health.latency_ms >= 0);
    });
  },
  { migrate: false },
);

describe('migrateLatest from concurrent starters', function () {
  this.timeout(120_000);
  const STARTERS = 5;

  /** Checks that every migration was applied exactly once, by exactly one of the starters. */
  async function assertMigratedOnce(database: TestDb['database'], applied: string[][]): Promise<void> {
    assert.deepEqual(applied.flat().sort(), migrations.map((m) => m.name).sort(), JSON.stringify(applied));
    const db = createDb(database);
    try {
      assert.deepEqual(await pendingMigrations(db), []);
      const rows = (await db('knex_migrations').select('name')) as { name: string }[];
      assert.deepEqual(rows.map((r) => r.name).sort(), migrations.map((m) => m.name).sort());
      const locks = (await db('knex_migrations_lock').select('*')) as { is_locked: number }[];
      assert.deepEqual(locks.map((l) => Number(l.is_locked)), [0], 'one lock row, released');
    } finally {
      await db.destroy();
    }
  }

  /** Runs migrateLatest on `database` in STARTERS processes released at once; returns what each applied. */
  async function raceProcesses(database: TestDb['database']): Promise<string[][]> {
    const outcomes = await raceInChildren(
      STARTERS,
      `const { db, migrateLatest } = prepared;
       try { return await migrateLatest(db); } finally { await db.destroy(); }`,
      {
        // Connected and with knex's migrator loaded before the start signal, so the starters
        // really overlap.
        setup: `const { createDb, migrateLatest } = require('./src/storage/db');
                const db = createDb(${JSON.stringify(database)});
                await db.raw('select 1');
                require('knex/lib/migrations/migrate/Migrator');
                return { db, migrateLatest };`,
      },
    );
    for (const o of outcomes) assert.ok(o.ok, o.ok ? '' : o.error);
    return outcomes.map((o) => (o.ok ? (o.value as string[]) : []));
  }

  it('applies each migration once on a fresh SQLite file, from separate knex instances', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-race-'));
    const database = { client: 'sqlite' as const, filename: path.join(dir, 'flows.sqlite') };
    const dbs = Array.from({ length: STARTERS }, () => createDb(database));
    try {
      const applied = await Promise.all(dbs.map((db) => migrateLatest(db)));
      await assertMigratedOnce(database, applied);
    } finally {
      await Promise.all(dbs.map((db) => db.destroy()));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies each migration once on a fresh SQLite file, from separate processes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-race-'));
    const database = { client: 'sqlite' as const, filename: path.join(dir, 'flows.sqlite') };
    try {
      await assertMigratedOnce(database, await raceProcesses(database));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies each migration once on a fresh Postgres database, from separate processes', async function () {
    const url = testDatabaseUrl();
    if (!url) return this.skip();
    const pg = await createPgTestDb(url);
    try {
      await assertMigratedOnce(pg.database, await raceProcesses(pg.database));
    } finally {
      await pg.destroy();
    }
  });
});

describe('createDb (sqlite)', () => {
  it("creates the file's directory and enables WAL, foreign keys and a busy timeout", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-db-'));
    const filename = path.join(dir, 'nested', 'deeper', 'flows.sqlite');
    const db = createDb({ client: 'sqlite', filename });
    try {
      const pragma = async (name: string) => Object.values((await db.raw(`pragma ${name}`))[0])[0];
      assert.equal(await pragma('journal_mode'), 'wal');
      assert.equal(await pragma('foreign_keys'), 1);
      assert.equal(await pragma('busy_timeout'), 5000);
      assert.ok(fs.existsSync(filename));
    } finally {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('checkDb', () => {
  it('reports an unreachable database as not ok instead of throwing', async () => {
    const logged: string[] = [];
    const push = (m: string) => void logged.push(m);
    const logger = { warn: push, error: push, debug: push };
    const db = createDb(
      { client: 'pg', url: 'postgres://nobody:nothing@127.0.0.1:1/none' },
      { acquireTimeoutMs: 1000, logger },
    );
    try {
      const health = await checkDb(db, 3000);
      assert.equal(health.ok, false);
      assert.ok(health.error);
      assert.ok(
        logged.some((m) => /ECONNREFUSED/.test(m)),
        'knex reports to the given logger, not the console',
      );
    } finally {
      await db.destroy();
    }
  });
});
