/**
 * /api/v1/data-sources on a running platform: CRUD for the owner only, secrets never answered,
 * SQLite, json and api sources queried and tested, and the sql node in a flow. PostgreSQL and
 * MariaDB sources are covered by test/services/data-source-servers.test.ts.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeSqliteFile } from '../helpers/data-sources';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';

const BASE = '/api/v1/data-sources';

describe('data sources API', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let token: string;
  let otherToken: string;
  let api: http.Server;
  let apiBase: string;
  const seenHeaders: http.IncomingHttpHeaders[] = [];

  before(async () => {
    tp = await startTestPlatform();
    await tp.login(); // the first user becomes admin: keep the owner a regular user
    token = (await tp.login()).token;
    otherToken = (await tp.login()).token;
    const dataDir = tp.platform.config.dataDir;
    writeSqliteFile(
      dataDir,
      'shop.db',
      `create table users (id integer primary key, name text, email text);
       insert into users (name, email) values ('ada', 'ada@example.test'), ('bob', 'bob@example.test');`,
    );
    writeSqliteFile(dataDir, 'scratch.db', 'create table notes (id integer primary key, body text);');
    api = http.createServer((req, res) => {
      seenHeaders.push(req.headers);
      res.setHeader('content-type', 'application/json');
      if (req.headers['x-api-key'] !== 'k-12345-secret') return void res.writeHead(401).end('{"error":"no key"}');
      if (req.url?.startsWith('/v1/devices')) return void res.end(JSON.stringify([{ id: 1, floor: 1 }, { id: 2, floor: 2 }, { id: 3, floor: 2 }]));
      res.end(JSON.stringify({ ok: true, path: req.url }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiBase = `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1`;
  });
  after(async () => {
    api?.close();
    await tp?.stop();
  });

  const call = (method: string, path: string, body?: unknown, auth = token) => tp.api(method, `${BASE}${path}`, body, auth);
  async function create(body: Record<string, unknown>) {
    const r = await call('POST', '', body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }

  describe('CRUD', () => {
    let pgId: string;

    it('creates a data source without showing its password, read-only and untested', async () => {
      const body = await create({
        name: 'warehouse',
        type: 'postgresql',
        description: 'the seed’s shape',
        config: { host: '127.0.0.1', port: 1, database: 'shop', username: 'reader', password: 'pw-never-shown-42' },
      });
      pgId = body.id;
      assert.equal(body.read_only, true);
      assert.equal(body.status, 'unknown');
      assert.deepEqual(body.config, { host: '127.0.0.1', port: 1, database: 'shop', username: 'reader' });
      assert.deepEqual(body.secret_fields, ['password']);
      const all = [body, (await call('GET', `/${pgId}`)).body, (await call('GET', '')).body];
      assert.ok(!JSON.stringify(all).includes('pw-never-shown-42'));
      const row = await tp.platform.db('data_sources').where({ id: pgId }).first();
      assert.ok(!JSON.stringify(row).includes('pw-never-shown-42'), 'stored sealed');
    });

    it('refuses invalid configs (422 naming config fields) and a duplicate name (409)', async () => {
      const missing = await call('POST', '', { name: 'x', type: 'postgresql', config: { database: 'shop' } });
      assert.equal(missing.status, 422);
      assert.deepEqual(missing.body.error.details, { 'config.host': 'Required (or name a credential)' });
      const bad = await call('POST', '', { name: 'x', type: 'postgresql', config: { host: 'db.example.test', database: 'shop', port: 'nope', extra: 1 } });
      assert.equal(bad.status, 422);
      assert.ok('config.port' in bad.body.error.details && 'config' in bad.body.error.details, JSON.stringify(bad.body));
      const both = await call('POST', '', { name: 'x', type: 'mysql', config: { credential: 'db', host: 'db.example.test' } });
      assert.match(both.body.error.details['config.host'], /either credential or/);
      const unknownType = await call('POST', '', { name: 'x', type: 'oracle', config: {} });
      assert.equal(unknownType.status, 422);
      const dup = await call('POST', '', { name: 'warehouse', type: 'json', config: { data: [] } });
      assert.equal(dup.status, 409);
    });

    it('refuses a host the private-address guard does not allow (HTTP_ALLOWED_HOSTS)', async () => {
      const r = await call('POST', '', { name: 'internal', type: 'mysql', config: { host: '10.1.2.3', database: 'x', username: 'u' } });
      assert.equal(r.status, 422);
      assert.match(r.body.error.details['config.host'], /Refusing to connect to 10\.1\.2\.3: it is a private address/);
      const meta = await call('POST', '', { name: 'metadata', type: 'api', config: { base_url: 'http://169.254.169.254/latest' } });
      assert.equal(meta.status, 422);
      assert.match(meta.body.error.details['config.base_url'], /link-local/);
    });

    it('PUT replaces the config but keeps a password it leaves out; PATCH merges; new settings reset the status', async () => {
      await call('POST', `/${pgId}/test`);
      assert.equal((await call('GET', `/${pgId}`)).body.status, 'error');
      const put = await call('PUT', `/${pgId}`, { name: 'warehouse 2', config: { host: '127.0.0.1', port: 2, database: 'shop2', username: 'reader' } });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual(put.body.secret_fields, ['password']);
      assert.equal(put.body.status, 'unknown');
      assert.deepEqual(put.body.config, { host: '127.0.0.1', port: 2, database: 'shop2', username: 'reader' });
      const patch = await call('PATCH', `/${pgId}`, { config: { port: null, password: null }, read_only: false });
      assert.equal(patch.status, 200, JSON.stringify(patch.body));
      assert.deepEqual(patch.body.config, { host: '127.0.0.1', database: 'shop2', username: 'reader' });
      assert.deepEqual(patch.body.secret_fields, []);
      assert.equal(patch.body.read_only, false);
      assert.equal(patch.body.name, 'warehouse 2');
    });

    it('lists with type and status filters, as {items, total, skip, limit}', async () => {
      await create({ name: 'prices', type: 'json', config: { data: { items: [] } } });
      const all = await call('GET', '?limit=10');
      assert.deepEqual(Object.keys(all.body).sort(), ['items', 'limit', 'skip', 'total']);
      assert.ok(all.body.total >= 2);
      const json = await call('GET', '?type=json');
      assert.deepEqual(json.body.items.map((i: any) => i.name), ['prices']);
      const unknown = await call('GET', '?type=postgresql&status=unknown');
      assert.deepEqual(unknown.body.items.map((i: any) => i.name), ['warehouse 2']);
      assert.equal((await call('GET', '?status=broken')).status, 400);
    });

    it('is the owner’s only: another user gets 404 everywhere and sees none in the list', async () => {
      for (const [method, path, body] of [
        ['GET', `/${pgId}`],
        ['PUT', `/${pgId}`, { name: 'mine now' }],
        ['PATCH', `/${pgId}`, { name: 'mine now' }],
        ['POST', `/${pgId}/test`],
        ['POST', `/${pgId}/query`, { query: 'select 1' }],
        ['DELETE', `/${pgId}`],
      ] as [string, string, unknown?][]) {
        assert.equal((await call(method, path, body, otherToken)).status, 404, `${method} ${path}`);
      }
      assert.equal((await call('GET', '', undefined, otherToken)).body.total, 0);
    });

    it('deletes (204), then 404', async () => {
      assert.equal((await call('DELETE', `/${pgId}`)).status, 204);
      assert.equal((await call('GET', `/${pgId}`)).status, 404);
      assert.equal((await call('DELETE', `/${pgId}`)).status, 404);
    });
  });

  describe('SQLite', () => {
    let shop: string;
    let scratch: string;

    before(async () => {
      shop = (await create({ name: 'shop', type: 'sqlite', config: { path: 'shop.db' } })).id;
      scratch = (await create({ name: 'scratch', type: 'sqlite', config: { path: 'scratch.db' }, read_only: false })).id;
    });

    it('refuses a file outside DATA_DIR/data-sources/ or missing', async () => {
      for (const path of ['../flows.sqlite', '/etc/passwd', 'missing.db']) {
        const r = await call('POST', '', { name: `bad ${path}`, type: 'sqlite', config: { path } });
        assert.equal(r.status, 422, path);
        assert.ok(r.body.error.details['config.path'], JSON.stringify(r.body));
      }
    });

    it('tests the file and queries it with ? params', async () => {
      const test = await call('POST', `/${shop}/test`);
      assert.equal(test.body.status, 'success', JSON.stringify(test.body));
      assert.match(test.body.message, /SQLite 3\.\d+.*1 table/);
      assert.equal((await call('GET', `/${shop}`)).body.status, 'active');
      const q = await call('POST', `/${shop}/query`, { query: 'select name from users where email = ?', params: ['bob@example.test'] });
      assert.equal(q.status, 200, JSON.stringify(q.body));
      assert.deepEqual(q.body, { data: [{ name: 'bob' }], count: 1, truncated: false, columns: ['name'], affected_rows: null, limit: 1000 });
    });

    it('opens a read-only source read-only: the file refuses writes; ATTACH and VACUUM INTO are refused', async () => {
      const write = await call('POST', `/${shop}/query`, { query: "insert into users (name) values ('eve')" });
      assert.equal(write.status, 422);
      assert.equal(write.body.error.details.query, 'attempt to write a readonly database');
      assert.equal(write.body.error.details.retryable, false);
      for (const query of ["attach database 'scratch.db' as s", "vacuum into '/tmp/flows-copy.db'"]) {
        const r = await call('POST', `/${scratch}/query`, { query });
        assert.equal(r.status, 422, query);
        assert.match(r.body.error.details.query, /not allowed/);
      }
      const ok = await call('POST', `/${scratch}/query`, { query: 'insert into notes (body) values (?), (?)', params: ['a', 'b'] });
      assert.equal(ok.body.affected_rows, 2);
    });

    it('truncates at the limit and caps a limit above 10,000', async () => {
      const series = 'with recursive c(x) as (select 1 union all select x + 1 from c limit 10050) select x from c';
      const cut = await call('POST', `/${shop}/query`, { query: series, limit: 10_000 });
      assert.deepEqual([cut.body.count, cut.body.truncated, cut.body.data[9_999].x], [10_000, true, 10_000]);
      const capped = await call('POST', `/${shop}/query`, { query: series, limit: 1_000_000 });
      assert.deepEqual([capped.body.limit, capped.body.count, capped.body.truncated], [10_000, 10_000, true]);
    });

    it('stops a statement past its timeout (its query process is killed) and goes on', async () => {
      const started = Date.now();
      const r = await call('POST', `/${shop}/query`, {
        query: 'with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c',
        timeout_ms: 500,
      });
      assert.equal(r.status, 422);
      assert.match(r.body.error.details.query, /longer than its timeout of 500 ms/);
      assert.ok(Date.now() - started < 5_000);
      assert.equal((await call('POST', `/${shop}/query`, { query: 'select count(*) as n from users' })).body.data[0].n, 2);
    });
  });

  describe('json and api sources', () => {
    it('queries an inline document with JSONata (data, params)', async () => {
      const id = (await create({ name: 'catalogue', type: 'json', config: { data: { items: [{ sku: 'a', price: 3 }, { sku: 'b', price: 9 }] } } })).id;
      const r = await call('POST', `/${id}/query`, { query: 'data.items[price > $$.params[0]]', params: [5] });
      assert.deepEqual(r.body.data, [{ sku: 'b', price: 9 }]);
      assert.equal((await call('POST', `/${id}/query`, { query: '' })).body.data[0].items.length, 2);
      assert.equal((await call('POST', `/${id}/query`, { query: 'data.items[' })).status, 422);
    });

    it('GETs a path below the base URL with secret headers that are never shown', async () => {
      const id = (await create({ name: 'devices api', type: 'api', config: { base_url: apiBase, headers: { 'X-Api-Key': 'k-12345-secret' } } })).id;
      const got = await call('GET', `/${id}`);
      assert.deepEqual(got.body.secret_fields, ['headers.X-Api-Key']);
      assert.ok(!JSON.stringify(got.body).includes('k-12345-secret'));
      const test = await call('POST', `/${id}/test`);
      assert.equal(test.body.status, 'success', JSON.stringify(test.body));
      const r = await call('POST', `/${id}/query`, { query: '/devices?floor=2', limit: 2 });
      assert.deepEqual([r.body.count, r.body.truncated, r.body.columns], [2, true, ['id', 'floor']]);
      assert.equal(seenHeaders.at(-1)!['x-api-key'], 'k-12345-secret');
      for (const query of ['/../admin', 'http://evil.test/x', '//evil.test/x']) {
        const bad = await call('POST', `/${id}/query`, { query });
        assert.equal(bad.status, 422, query);
      }
      const noKey = (await create({ name: 'no key', type: 'api', config: { base_url: apiBase } })).id;
      const denied = await call('POST', `/${noKey}/test`);
      assert.equal(denied.body.status, 'error');
      assert.match(denied.body.message, /HTTP 401/);
    });
  });

  describe('the sql node in a flow', () => {
    before(async () => {
      writeSqliteFile(
        tp.platform.config.dataDir,
        'big.db',
        `create table t (id integer primary key, label text);
         with recursive c(x) as (select 1 union all select x + 1 from c limit 10000)
         insert into t select x, 'row number ' || x || ' with some padding to make it larger' from c;`,
      );
      await create({ name: 'big', type: 'sqlite', config: { path: 'big.db' } });
    });

    async function run(nodes: unknown[], input: unknown) {
      const ids = (nodes as { id: string }[]).map((n) => n.id);
      const edges = ids.slice(1).map((id, i) => ({ source: ids[i], target: id }));
      const flow = await tp.api('POST', '/api/v1/workflows', { name: `sql ${Math.random()}`, nodes, edges }, token);
      assert.equal(flow.status, 201, JSON.stringify(flow.body));
      const r = await tp.api('POST', `/api/v1/workflows/${flow.body.id}/execute`, { input_data: input, wait: true, timeout_ms: 60_000 }, token);
      assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 500));
      return r.body;
    }

    it('fills params from templates; an injection attempt stays a value', async () => {
      const nodes = [
        { id: 'start', type: 'start' },
        { id: 'q', type: 'sql', data: { data_source: 'shop', query: 'select id, name from users where name = ? or email = ?', params: ['{{ input.name }}', '{{ input.email }}'] } },
        { id: 'end', type: 'end', data: { output: { rows: '{{ q.result }}', n: '{{ q.row_count }}', columns: '{{ q.columns }}' } } },
      ];
      const ok = await run(nodes, { name: 'ada', email: 'nobody' });
      assert.equal(ok.status, 'completed', JSON.stringify(ok.error));
      assert.deepEqual(ok.output_data, { rows: [{ id: 1, name: 'ada' }], n: 1, columns: ['id', 'name'] });
      const evil = await run(nodes, { name: "x' or '1'='1", email: "'; drop table users; --" });
      assert.equal(evil.status, 'completed', JSON.stringify(evil.error));
      assert.equal(evil.output_data.n, 0);
      assert.equal((await call('POST', `/${(await call('GET', '?type=sqlite')).body.items.find((i: any) => i.name === 'shop').id}/query`, { query: 'select count(*) as n from users' })).body.data[0].n, 2);
    });

    it('returns 10,000 rows end to end (the large-value store carries them)', async () => {
      const out = await run(
        [
          { id: 'start', type: 'start' },
          { id: 'q', type: 'sql', data: { data_source: 'big', query: 'select id, label from t order by id', limit: 10_000 } },
          { id: 'end', type: 'end', data: { output: { rows: '{{ q.result }}', n: '{{ q.row_count }}', more: '{{ q.truncated }}' } } },
        ],
        {},
      );
      assert.equal(out.status, 'completed', JSON.stringify(out.error));
      assert.equal(out.output_data.n, 10_000);
      assert.equal(out.output_data.more, false);
      assert.equal(out.output_data.rows.length, 10_000);
      assert.deepEqual(out.output_data.rows[9_999], { id: 10_000, label: 'row number 10000 with some padding to make it larger' });
      assert.ok(JSON.stringify(out.output_data).length > 128 * 1024);
    });

    it('fails without retries on an SQL error, with the database’s message', async () => {
      const out = await run(
        [
          { id: 'start', type: 'start' },
          { id: 'q', type: 'sql', data: { data_source: 'shop', query: "insert into users (name) values ('eve')" } },
        ],
        {},
      );
      assert.equal(out.status, 'failed');
      const detail = await waitForRun(tp, token, out.id);
      const step = detail.steps.find((s: any) => s.node_id === 'q');
      assert.match(JSON.stringify(step), /attempt to write a readonly database/);
      assert.equal(step.attempt, 1);
    });
  });
});
