import assert from 'node:assert/strict';
import { noDataSourceProvider } from '../../src/nodes/data-sources';
import { nodeTypeInfo } from '../../src/nodes/registry';
import { sqlNode } from '../../src/nodes/types/sql';
import { validateFlow } from '../../src/nodes/validate-flow';
import {
  createMysqlSourceDb,
  createPgSourceDb,
  startDataSourceService,
  testDatabaseUrl,
  testMysqlUrl,
  type ServiceFixture,
} from '../helpers/data-sources';
import { runNodeActivity } from '../helpers/node-activity';

const OWNER = 'owner-test';

describe('sql node', function () {
  let fx: ServiceFixture;

  before(async () => {
    fx = await startDataSourceService();
    fx.sqliteFile('devices.db', "create table devices (id integer primary key, name text, floor int); insert into devices (name, floor) values ('lamp', 1), ('fan', 2), ('heater', 2);");
    await fx.service.create({ userId: OWNER }, { name: 'devices', type: 'sqlite', config: { path: 'devices.db' } });
    await fx.service.create({ userId: OWNER }, { name: 'doc', type: 'json', config: { data: [1, 2] } });
    await fx.service.create({ userId: OWNER }, { name: 'closed', type: 'postgresql', config: { host: '127.0.0.1', port: 1, database: 'x', username: 'u', password: 'pw-closed-port' } });
  });
  after(async () => fx?.stop());

  const run = (data: Record<string, unknown>) => runNodeActivity(sqlNode, data, { services: { dataSources: fx.service.provider } });

  it('is in the catalogue as a data node whose query is never rendered', () => {
    const info = nodeTypeInfo('sql')!;
    assert.equal(info.category, 'data');
    assert.deepEqual((info.config_schema.required as string[]).sort(), ['data_source', 'query']);
    assert.equal(nodeTypeInfo('sql_query')?.type, 'sql');
    assert.deepEqual(sqlNode.rawFields, ['query']);
    const flow = {
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'q', type: 'sql', data: { data_source: '{{ input.source }}', query: 'select * from t where a = $1', params: ['{{ input.a }}'], limit: 20_000 } },
      ],
      edges: [{ source: 'start', target: 'q' }],
    };
    assert.deepEqual(validateFlow(flow).errors, []);
  });

  it('runs a parameterised query on the named data source; values stay out of the logs', async () => {
    const { result, error, logs } = await run({ data_source: 'devices', query: 'select name from devices where floor = ? order by id', params: [2] });
    assert.equal(error, undefined, error?.message);
    assert.deepEqual(result!.output, { result: [{ name: 'fan' }, { name: 'heater' }], row_count: 2, columns: ['name'], truncated: false });
    const line = logs.find((l) => l.message.startsWith('sql on'))!;
    assert.match(line.message, /sql on sqlite "devices" → 2 row\(s\)/);
    assert.ok(!JSON.stringify(logs).includes('heater'));
  });

  it('caps the limit at 10,000 and says when rows were left out', async () => {
    const series = 'with recursive c(x) as (select 1 union all select x + 1 from c limit 10050) select x from c';
    const { result } = await run({ data_source: 'devices', query: series, limit: 50_000 });
    assert.equal((result!.output.result as unknown[]).length, 10_000);
    assert.equal(result!.output.truncated, true);
    const small = await run({ data_source: 'devices', query: series, limit: 5 });
    assert.deepEqual([small.result!.output.row_count, small.result!.output.truncated], [5, true]);
  });

  it('fails without retries on an SQL error, with the database’s message', async () => {
    const { error } = await run({ data_source: 'devices', query: 'selec 1' });
    assert.equal(error?.type, 'SqlError');
    assert.equal(error?.nonRetryable, true);
    assert.match(error!.message, /syntax error/);
    const write = await run({ data_source: 'devices', query: "insert into devices (name) values ('x')" });
    assert.equal(write.error?.message, 'attempt to write a readonly database');
    assert.equal(write.error?.nonRetryable, true);
  });

  it('fails without retries for an unknown data source, one of another type or another owner’s', async () => {
    const unknown = await run({ data_source: 'nope', query: 'select 1' });
    assert.deepEqual([unknown.error?.type, unknown.error?.nonRetryable, unknown.error?.message], ['DataSourceNotFound', true, 'data source "nope" not found']);
    const json = await run({ data_source: 'doc', query: 'select 1' });
    assert.equal(json.error?.type, 'DataSourceTypeMismatch');
    assert.equal(json.error?.nonRetryable, true);
    const foreign = await runNodeActivity(sqlNode, { data_source: 'devices', query: 'select 1' }, {
      services: { dataSources: fx.service.provider },
      input: { owner_id: 'someone-else' },
    });
    assert.equal(foreign.error?.type, 'DataSourceNotFound');
    const none = await runNodeActivity(sqlNode, { data_source: 'devices', query: 'select 1' }, { services: { dataSources: noDataSourceProvider } });
    assert.equal(none.error?.type, 'DataSourceNotFound');
  });

  it('retries when the database refuses the connection, and never shows its password', async () => {
    const { error, logs } = await run({ data_source: 'closed', query: 'select 1' });
    assert.equal(error?.type, 'ConnectionFailed');
    assert.equal(error?.nonRetryable, false);
    assert.ok(!JSON.stringify({ error, logs }).includes('pw-closed-port'));
  });

  it('refuses params that are not an array after rendering', async () => {
    const { error } = await run({ data_source: 'devices', query: 'select ?', params: 'not rendered' });
    assert.equal(error?.type, 'InvalidNodeData');
  });

  for (const server of [
    { title: 'PostgreSQL', type: 'postgresql', url: testDatabaseUrl, create: createPgSourceDb, sql: 'select $1::int + 1 as n, $2::text as s', env: 'TEST_DATABASE_URL' },
    { title: 'MariaDB', type: 'mysql', url: testMysqlUrl, create: createMysqlSourceDb, sql: 'select ? + 1 as n, ? as s', env: 'TEST_MYSQL_URL' },
  ] as const) {
    it(`binds $1 / ? params on ${server.title}; its password is nowhere in output or logs`, async function () {
      const url = server.url();
      if (!url) {
        console.log(`      ${server.env} is not set: the ${server.title} sql node test is skipped`);
        return this.skip();
      }
      const db = await server.create(url);
      try {
        await fx.service.create({ userId: OWNER }, { name: server.title, type: server.type, config: { ...db.config } });
        const { result, error, logs } = await run({ data_source: server.title, query: server.sql, params: [41, "'; drop table x; --"] });
        assert.equal(error, undefined, error?.message);
        assert.deepEqual(result!.output.result, [{ n: 42, s: "'; drop table x; --" }]);
        assert.ok(!JSON.stringify({ result, logs }).includes(`"${db.config.password}"`));
      } finally {
        await db.destroy();
      }
    });
  }
});
