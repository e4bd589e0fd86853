/**
 * Data sources on real database servers: PostgreSQL (TEST_DATABASE_URL, .ci/postgres.sh) and
 * MariaDB (TEST_MYSQL_URL, .ci/mariadb.sh), each in a database of its own. Without the variable a
 * suite is skipped. The service runs over a SQLite store; the API and the sql node use the same.
 */
import assert from 'node:assert/strict';
import { memoryCredentialProvider } from '../../src/nodes/credentials';
import { NodeError } from '../../src/nodes/node-error';
import { Invalid } from '../../src/shared/errors';
import {
  createMysqlSourceDb,
  createPgSourceDb,
  startDataSourceService,
  testDatabaseUrl,
  testMysqlUrl,
  type ServerConfig,
  type ServiceFixture,
} from '../helpers/data-sources';
import { until } from '../helpers/wait';

interface Dialect {
  title: string;
  type: 'postgresql' | 'mysql';
  url: () => string | undefined;
  skipMessage: string;
  createDb: typeof createPgSourceDb;
  credentialType: string;
  placeholder: (n: number) => string;
  /** A statement returning `n` rows of one column `x`. */
  series: (n: number) => string;
  sleep: string;
  version: RegExp;
  /** Connections this platform holds open to `database`. */
  connections: (database: string) => string;
  currentDb: string;
}

const DIALECTS: Dialect[] = [
  {
    title: 'PostgreSQL',
    type: 'postgresql',
    url: testDatabaseUrl,
    skipMessage: 'TEST_DATABASE_URL is not set (bash .ci/postgres.sh prints one): PostgreSQL data source tests skipped',
    createDb: createPgSourceDb,
    credentialType: 'postgres',
    placeholder: (n) => `$${n}`,
    series: (n) => `select g as x from generate_series(1, ${n}) g`,
    sleep: 'select pg_sleep(5)',
    version: /^Connected: PostgreSQL \d+/,
    connections: (db) => `select count(*)::int as n from pg_stat_activity where datname = '${db}' and application_name = 'temporal-flows'`,
    currentDb: 'select current_database() as db',
  },
  {
    title: 'MariaDB',
    type: 'mysql',
    url: testMysqlUrl,
    skipMessage: 'TEST_MYSQL_URL is not set (bash .ci/mariadb.sh prints one): MariaDB data source tests skipped',
    createDb: createMysqlSourceDb,
    credentialType: 'mysql',
    placeholder: () => '?',
    // MariaDB's Sequence engine (recursive CTEs stop at max_recursive_iterations, 1,000 by default).
    series: (n) => `select seq as x from seq_1_to_${n}`,
    sleep: 'select sleep(5)',
    version: /^Connected: MariaDB \d+/,
    connections: (db) => `select count(*) as n from information_schema.processlist where db = '${db}'`,
    currentDb: 'select database() as db',
  },
];

const owner = { userId: 'owner-1' };
const other = { userId: 'owner-2' };

for (const d of DIALECTS) {
  describe(`data sources on ${d.title}`, function () {
    let fx: ServiceFixture;
    let db: Awaited<ReturnType<typeof createPgSourceDb>>;
    let config: ServerConfig;
    let readOnlyId: string;
    let writableId: string;

    before(async function () {
      const url = d.url();
      if (!url) {
        console.log(`      ${d.skipMessage}`);
        this.skip();
      }
      db = await d.createDb(url!);
      config = db.config;
      await db.run('create table devices (id int primary key, name varchar(100), floor int)');
      await db.run("insert into devices values (1, 'lamp', 1), (2, 'fan', 2), (3, 'heater', 2)");
      fx = await startDataSourceService({
        credentials: memoryCredentialProvider([
          {
            id: 'c1',
            owner_id: owner.userId,
            name: 'warehouse',
            type: d.credentialType,
            data: { host: config.host, port: config.port, database: config.database, user: config.username, password: config.password },
          },
        ]),
      });
      readOnlyId = (await fx.service.create(owner, { name: 'ro', type: d.type, config: { ...config } })).id;
      writableId = (await fx.service.create(owner, { name: 'rw', type: d.type, config: { ...config }, read_only: false })).id;
    });
    after(async () => {
      await fx?.stop();
      await db?.destroy();
    });

    const query = (id: string, body: { query: string; params?: unknown[]; limit?: number; timeout_ms?: number }) => fx.service.query(owner, id, body);
    async function failure(p: Promise<unknown>): Promise<Record<string, unknown>> {
      const err = await p.then(
        () => assert.fail('expected the query to fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof Invalid, String(err));
      return err.details!;
    }

    it('tests the connection: success with the server version, and the status becomes active', async () => {
      const res = await fx.service.test(owner, readOnlyId);
      assert.equal(res.status, 'success', res.message);
      assert.match(res.message, d.version);
      assert.ok(res.latency_ms >= 0);
      const got = await fx.service.get(owner, readOnlyId);
      assert.equal(got.status, 'active');
      assert.ok(got.tested_at);
    });

    it('reports a failed test (wrong password) as status error, without the password anywhere', async () => {
      const bad = await fx.service.create(owner, { name: 'bad login', type: d.type, config: { ...config, password: 'not-the-password-x9' } });
      const res = await fx.service.test(owner, bad.id);
      assert.equal(res.status, 'error');
      const seen = JSON.stringify([res, await fx.service.get(owner, bad.id), await fx.service.list(owner, { skip: 0, limit: 100 })]);
      assert.ok(!seen.includes('not-the-password-x9'));
      const errors = await fx.service.list(owner, { skip: 0, limit: 100, status: 'error' });
      assert.deepEqual(errors.items.map((i) => i.name), ['bad login']);
      await fx.service.remove(owner, bad.id);
    });

    it('binds params as values: a quote or an injection attempt stays data', async () => {
      const res = await query(readOnlyId, { query: `select name from devices where floor = ${d.placeholder(1)} order by id`, params: [2] });
      assert.deepEqual(res.data, [{ name: 'fan' }, { name: 'heater' }]);
      assert.deepEqual(res.columns, ['name']);
      const evil = await query(readOnlyId, { query: `select count(*) as n from devices where name = ${d.placeholder(1)}`, params: ["x' or '1'='1"] });
      assert.equal(Number(evil.data[0].n), 0);
    });

    it('refuses writes on a read-only source in the database itself: DML and DDL', async () => {
      for (const sql of ["insert into devices values (9, 'x', 9)", 'delete from devices', 'create table sneaky (a int)', 'drop table devices']) {
        const details = await failure(query(readOnlyId, { query: sql }));
        assert.match(String(details.query), /read-only transaction|READ ONLY transaction/, `${sql}: ${details.query}`);
        assert.equal(details.retryable, false);
      }
      const count = await query(readOnlyId, { query: 'select count(*) as n from devices' });
      assert.equal(Number(count.data[0].n), 3);
    });

    it('lets a source with read_only false write', async () => {
      const res = await query(writableId, { query: `insert into devices values (${d.placeholder(1)}, 'kettle', 3)`, params: [4] });
      assert.equal(res.affected_rows, 1);
      assert.equal(res.count, 0);
      await query(writableId, { query: 'delete from devices where id = 4' });
    });

    it('returns at most the limit and says truncated; a limit above 10,000 is capped', async () => {
      const cut = await query(readOnlyId, { query: d.series(10_050), limit: 10_000 });
      assert.equal(cut.count, 10_000);
      assert.equal(cut.truncated, true);
      assert.equal(Number(cut.data[9_999].x), 10_000);
      const capped = await query(readOnlyId, { query: d.series(10_050), limit: 50_000 });
      assert.equal(capped.limit, 10_000);
      assert.equal(capped.count, 10_000);
      assert.equal(capped.truncated, true);
      const exact = await query(readOnlyId, { query: d.series(10_000), limit: 10_000 });
      assert.equal(exact.truncated, false);
      const byDefault = await query(readOnlyId, { query: d.series(1_001) });
      assert.deepEqual([byDefault.count, byDefault.truncated], [1_000, true]);
      // The connection cut off mid-result is replaced: the next query works.
      assert.equal((await query(readOnlyId, { query: 'select 1 as one' })).count, 1);
    });

    it('cancels a statement past its timeout', async () => {
      const started = Date.now();
      const details = await failure(query(readOnlyId, { query: d.sleep, timeout_ms: 300 }));
      assert.match(String(details.query), /longer than its timeout of 300 ms/);
      assert.ok(Date.now() - started < 3_000, `${Date.now() - started} ms`);
      assert.equal((await query(readOnlyId, { query: 'select 1 as one' })).count, 1);
    });

    it('fails the sql node path without retries on SQL errors, with retries when the server refuses connections', async () => {
      const syntax = await fx.service.provider.query(owner.userId, 'ro', { query: 'selec 1', params: [], limit: 10, timeoutMs: 5_000 }).catch((e) => e);
      assert.ok(syntax instanceof NodeError);
      assert.equal(syntax.options.type, 'SqlError');
      assert.equal(syntax.options.retryable, false);
      const closed = await fx.service.create(owner, { name: 'closed port', type: d.type, config: { ...config, port: 1 } });
      const refused = await fx.service.provider.query(owner.userId, closed.id, { query: 'select 1', params: [], limit: 10, timeoutMs: 5_000 }).catch((e) => e);
      assert.ok(refused instanceof NodeError);
      assert.equal(refused.options.type, 'ConnectionFailed');
      assert.equal(refused.options.retryable, true);
      assert.match(refused.message, /ECONNREFUSED/);
      await fx.service.remove(owner, closed.id);
    });

    it('takes its settings from a credential, reconnects when they change and closes its pool when deleted', async () => {
      const viaCred = await fx.service.create(owner, { name: 'via credential', type: d.type, config: { credential: 'warehouse' } });
      assert.deepEqual(viaCred.secret_fields, []);
      assert.equal((await query(viaCred.id, { query: d.currentDb })).data[0].db, config.database);
      const connections = async () => Number((await query(readOnlyId, { query: d.connections(config.database) })).data[0].n);
      assert.ok((await connections()) >= 2);
      // Pointing it at the same server through inline settings: a new pool, the old one closed.
      await fx.service.update(owner, viaCred.id, { config: { ...config } }, 'replace');
      assert.equal((await query(viaCred.id, { query: d.currentDb })).data[0].db, config.database);
      await fx.service.remove(owner, viaCred.id);
      await fx.service.remove(owner, writableId);
      // Only the read-only source's own pool is left (its connection answering this query).
      let left = -1;
      await until(async () => (left = await connections()) === 1, () => `one connection left (${left})`, 5_000);
    });

    it('is its owner’s only', async () => {
      await assert.rejects(fx.service.get(other, readOnlyId), /not found/);
      await assert.rejects(fx.service.query(other, readOnlyId, { query: 'select 1' }), /not found/);
      const res = await fx.service.provider.query(other.userId, 'ro', { query: 'select 1', params: [], limit: 1, timeoutMs: 1_000 }).catch((e) => e);
      assert.equal(res.options.type, 'DataSourceNotFound');
    });
  });
}

describe('data sources and the private-address guard', function () {
  let fx: ServiceFixture;
  before(async () => {
    fx = await startDataSourceService({ allowedHosts: [] });
  });
  after(async () => fx?.stop());

  it('refuses a host the guard does not allow, when saved and when connecting', async () => {
    const config = { host: '127.0.0.1', port: 5432, database: 'flows', username: 'flows', password: 'flows-secret' };
    const saved = await fx.service.create(owner, { name: 'loopback', type: 'postgresql', config }).catch((e) => e);
    assert.ok(saved instanceof Invalid);
    assert.match(String(saved.details!['config.host']), /Refusing to connect to 127\.0\.0\.1.*HTTP_ALLOWED_HOSTS/);
    const metadata = await fx.service.create(owner, { name: 'metadata', type: 'mysql', config: { ...config, host: '169.254.169.254' } }).catch((e) => e);
    assert.match(String(metadata.details!['config.host']), /link-local/);
    // A source saved while the host was allowed (or resolved elsewhere) is refused on connecting.
    const row = await fx.repos.dataSources.create({ owner_id: owner.userId, name: 'sneaked in', type: 'postgresql', config: { host: 'localhost', port: 5432, database: 'flows' } });
    const res = await fx.service.provider.query(owner.userId, row.id, { query: 'select 1', params: [], limit: 1, timeoutMs: 1_000 }).catch((e) => e);
    assert.ok(res instanceof NodeError);
    assert.equal(res.options.type, 'AddressBlocked');
    assert.equal(res.options.retryable, false);
    const test = await fx.service.test(owner, row.id);
    assert.equal(test.status, 'error');
    assert.match(test.message, /Refusing to connect to localhost/);
  });
});
