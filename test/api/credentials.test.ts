import assert from 'node:assert/strict';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

const OPENAI_KEY = 'sk-test-credential-store-a1b2';
const SMTP_PASSWORD = 'mail-password-123';

/** A flow with one node of `type` naming `credential` (and a loop whose body names `inLoop`). */
const flowNaming = (name: string, node: Record<string, unknown>, inLoop?: Record<string, unknown>) => ({
  name,
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'call', ...node },
    ...(inLoop ? [{ id: 'each', type: 'loop', data: { items: '{{ [1] }}', body: { nodes: [{ id: 'inner', ...inLoop }], edges: [] } } }] : []),
  ],
  edges: [{ source: 'start', target: 'call' }, ...(inLoop ? [{ source: 'call', target: 'each' }] : [])],
});

describe('credentials: /api/v1/credentials', function () {
  this.timeout(90_000);
  let tp: TestPlatform;
  let admin: string;
  let ada: string;
  let bob: string;
  let server: http.Server;
  let serverUrl: string;
  const seen: IncomingHttpHeaders[] = [];

  const api = (method: string, path: string, body?: unknown, token = ada) => tp.api(method, `/api/v1${path}`, body, token);
  const create = async (body: Record<string, unknown>, token = ada) => {
    const r = await api('POST', '/credentials', body, token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const createFlow = async (body: unknown, token = ada) => {
    const r = await api('POST', '/workflows', body, token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    tp = await startTestPlatform();
    admin = (await tp.login()).token; // the first user is the admin
    ada = (await tp.login()).token;
    bob = (await tp.login()).token;
  });
  after(async () => {
    await tp?.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('stores each type and answers only {id, name, type, created_at, updated_at, preview}, secrets masked', async () => {
    const openai = await create({
      name: 'openai-prod',
      type: 'openai',
      data: { api_key: OPENAI_KEY, base_url: 'https://api.example.test/v1', model: 'gpt-4o-mini', organization: 'org-1' },
    });
    assert.deepEqual(Object.keys(openai).sort(), ['created_at', 'id', 'name', 'preview', 'type', 'updated_at']);
    assert.deepEqual(openai.preview, { api_key: 'sk-…a1b2', base_url: 'https://api.example.test/v1', model: 'gpt-4o-mini', organization: 'org-1' });

    const smtp = await create({ name: 'mail', type: 'smtp', data: { host: 'smtp.example.test', port: 587, username: 'flows', password: SMTP_PASSWORD } });
    assert.deepEqual(smtp.preview, { host: 'smtp.example.test', port: 587, username: 'flows', password: '••••' });
    const short = await create({ name: 'short', type: 'http_bearer', data: { token: 'abc123' } });
    assert.deepEqual(short.preview, { token: '••••' }, 'a short token gets no hint');
    const db = { host: 'db.example.test', port: 5432, database: 'app', user: 'app', password: 'a-long-database-password-0000', ssl: true };
    assert.deepEqual((await create({ name: 'warehouse', type: 'postgres', data: db })).preview, { ...db, password: '••••' }, 'passwords never get a hint');
    assert.deepEqual((await create({ name: 'shop', type: 'mysql', data: { ...db, port: 3306 } })).preview.password, '••••');
    await create({ name: 'key', type: 'http_header', data: { name: 'X-Api-Key', value: 'k' } });
    await create({ name: 'basic', type: 'http_basic', data: { username: 'u', password: 'p' } });

    for (const path of ['/credentials', `/credentials/${openai.id}`, `/credentials/${smtp.id}`]) {
      const text = JSON.stringify((await api('GET', path)).body);
      assert.ok(!text.includes(OPENAI_KEY) && !text.includes(SMTP_PASSWORD), `${path}: ${text}`);
    }
    const stored = await tp.platform.db('credentials').where({ id: openai.id }).first();
    assert.match(stored.encrypted_data, /^v1\./);
    assert.ok(!stored.encrypted_data.includes('org-1'), 'the whole data is sealed, not only the secret fields');
  });

  it('refuses data its type does not fit with the field names (never the values), and names nodes cannot use', async () => {
    const missing = await api('POST', '/credentials', { name: 'o2', type: 'openai', data: { base_url: 'https://x.test' } });
    assert.equal(missing.status, 422);
    assert.ok(missing.body.error.details['data.api_key'], JSON.stringify(missing.body));
    const unknown = await api('POST', '/credentials', { name: 'o2', type: 'openai', data: { api_key: 'k', apikey: 'typo' } });
    assert.equal(unknown.status, 422);
    assert.ok(unknown.body.error.details['data.apikey'], JSON.stringify(unknown.body));
    const badUrl = await api('POST', '/credentials', { name: 'o2', type: 'openai', data: { api_key: 'k', base_url: 'sk-pasted-in-the-wrong-field' } });
    assert.equal(badUrl.status, 422);
    assert.ok(!JSON.stringify(badUrl.body).includes('sk-pasted'), JSON.stringify(badUrl.body));
    const badHeader = await api('POST', '/credentials', { name: 'h2', type: 'http_header', data: { name: 'Content-Type', value: 'v' } });
    assert.equal(badHeader.status, 422, 'a header kept across origins would carry the secret along a redirect');
    assert.equal((await api('POST', '/credentials', { name: 'x', type: 'ftp', data: {} })).status, 422);
    assert.equal((await api('POST', '/credentials', { name: 'x', type: 'smtp', data: { host: 'h' }, extra: 1 })).status, 422);
    for (const name of ['0b9a3c1e-6f1d-4c2a-9f0e-2b7d8c1a4e5f', '{{ input.x }}']) {
      const r = await api('POST', '/credentials', { name, type: 'http_bearer', data: { token: 't' } });
      assert.equal(r.status, 422, name);
      assert.ok(r.body.error.details.name, JSON.stringify(r.body));
    }
  });

  it('keeps names unique per owner (409), lists the own ones by name with a type filter, and hides them from others', async () => {
    const taken = await api('POST', '/credentials', { name: 'mail', type: 'smtp', data: { host: 'h' } });
    assert.equal(taken.status, 409);
    const bobs = await create({ name: 'mail', type: 'smtp', data: { host: 'bob.example.test' } }, bob);

    const list = await api('GET', '/credentials?limit=3');
    assert.equal(list.status, 200);
    assert.deepEqual(Object.keys(list.body).sort(), ['items', 'limit', 'skip', 'total']);
    assert.equal(list.body.total, 7);
    assert.deepEqual(list.body.items.map((c: any) => c.name), ['basic', 'key', 'mail']);
    const smtp = await api('GET', '/credentials?type=smtp');
    assert.deepEqual(smtp.body.items.map((c: any) => c.preview.host), ['smtp.example.test']);
    assert.equal((await api('GET', '/credentials?type=nope')).status, 400);

    assert.equal((await api('GET', `/credentials/${bobs.id}`)).status, 404);
    assert.equal((await api('PATCH', `/credentials/${bobs.id}`, { name: 'mine' })).status, 404);
    assert.equal((await api('DELETE', `/credentials/${bobs.id}`)).status, 404);
    assert.equal((await api('GET', '/credentials/not-a-uuid')).status, 404);
    const all = await api('GET', '/credentials?limit=100', undefined, admin);
    assert.equal(all.body.total, 8, 'admins see every owner’s');
  });

  it('merges a data patch into the stored data, checks the result and never changes the type', async () => {
    const c = await create({ name: 'llm', type: 'openai', data: { api_key: OPENAI_KEY, model: 'a', organization: 'org' } });
    const patched = await api('PATCH', `/credentials/${c.id}`, { data: { model: 'b', organization: null } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body.preview, { api_key: 'sk-…a1b2', model: 'b' }, 'the key stays, organization is removed');
    assert.ok(patched.body.updated_at >= c.updated_at);
    const invalid = await api('PATCH', `/credentials/${c.id}`, { data: { api_key: null } });
    assert.equal(invalid.status, 422);
    assert.ok(invalid.body.error.details['data.api_key']);
    assert.equal((await api('PATCH', `/credentials/${c.id}`, { type: 'smtp' })).status, 422);
    assert.equal((await api('PATCH', `/credentials/${c.id}`, {})).status, 422);
    assert.equal((await api('PATCH', `/credentials/${c.id}`, { name: 'mail' })).status, 409);
    const renamed = await api('PATCH', `/credentials/${c.id}`, { name: 'llm-2' });
    assert.equal(renamed.body.name, 'llm-2');
  });

  it('warns at /validate and at save about credentials that do not exist or do not fit, and not once they do', async () => {
    const flow = flowNaming(
      'warned',
      { type: 'http-request', data: { url: serverUrl, credential: 'later' } },
      { type: 'email-send', data: { to: 'a@example.test', subject: 's', body: 'b', credential: 'openai-prod' } },
    );
    const v = await api('POST', '/workflows/validate', flow);
    assert.equal(v.body.valid, true);
    const codes = v.body.warnings.map((w: any) => `${w.code} ${w.path}`);
    assert.ok(codes.includes('UNKNOWN_CREDENTIAL nodes[1].data.credential'), JSON.stringify(v.body.warnings));
    assert.ok(codes.includes('CREDENTIAL_TYPE_MISMATCH nodes[2].data.body.nodes[0].data.credential'), JSON.stringify(v.body.warnings));
    assert.equal((await api('POST', '/workflows/validate', flow, bob)).body.warnings.filter((w: any) => w.code === 'UNKNOWN_CREDENTIAL').length, 2);

    const saved = await createFlow(flow);
    assert.deepEqual(saved.warnings.map((w: any) => w.code).sort(), ['CREDENTIAL_TYPE_MISMATCH', 'UNKNOWN_CREDENTIAL']);
    await create({ name: 'later', type: 'http_bearer', data: { token: 'later-token' } });
    const fixed = await api('PATCH', `/workflows/${saved.id}`, {
      nodes: flowNaming('x', { type: 'http-request', data: { url: serverUrl, credential: 'later' } }).nodes,
      edges: [{ source: 'start', target: 'call' }],
    });
    assert.equal(fixed.status, 200);
    assert.equal(fixed.body.warnings, undefined);
    const templated = await api('POST', '/workflows/validate', flowNaming('t', { type: 'http-request', data: { url: serverUrl, credential: '{{ input.account }}' } }));
    assert.deepEqual(templated.body.warnings, []);
    await api('DELETE', `/workflows/${saved.id}`);
  });

  it('refuses to delete (or rename) a credential that flows name, by id or by name, loop bodies included', async () => {
    const token = await create({ name: 'used', type: 'http_bearer', data: { token: 'used-token' } });
    const byId = await createFlow(flowNaming('by id', { type: 'http-request', data: { url: serverUrl, credential: token.id } }));
    const byName = await createFlow(
      flowNaming('by name in a loop', { type: 'noop' }, { type: 'http-request', data: { url: serverUrl, credential: 'used' } }),
    );
    const refused = await api('DELETE', `/credentials/${token.id}`);
    assert.equal(refused.status, 409);
    assert.deepEqual(refused.body.error.details.flows.map((f: any) => f.name).sort(), ['by id', 'by name in a loop']);
    assert.match(refused.body.error.message, /by id/);

    const rename = await api('PATCH', `/credentials/${token.id}`, { name: 'renamed' });
    assert.equal(rename.status, 409, 'flows naming it by name would break');
    assert.deepEqual(rename.body.error.details.flows, [{ id: byName.id, name: 'by name in a loop' }]);
    assert.equal((await api('PATCH', `/credentials/${token.id}`, { data: { token: 'rotated-token' } })).status, 200, 'data may change');

    assert.equal((await api('DELETE', `/workflows/${byName.id}`)).status, 204);
    assert.equal((await api('PATCH', `/credentials/${token.id}`, { name: 'renamed' })).status, 200, 'only the id is used now');
    assert.equal((await api('DELETE', `/credentials/${token.id}`)).status, 409);
    assert.equal((await api('DELETE', `/workflows/${byId.id}`)).status, 204);
    assert.equal((await api('DELETE', `/credentials/${token.id}`)).status, 204);
    assert.equal((await api('GET', `/credentials/${token.id}`)).status, 404);
  });

  it('lets nodes use the owner’s credentials at run time, by name or id, and nobody else’s', async () => {
    const basic = (await api('GET', '/credentials?type=http_basic')).body.items[0];
    const run = async (credential: string, token = ada) => {
      const flow = await createFlow(flowNaming(`run ${credential}`, { type: 'http-request', data: { url: serverUrl, credential } }), token);
      const r = await api('POST', `/workflows/${flow.id}/execute`, { wait: true }, token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };
    seen.length = 0;
    assert.equal((await run('basic')).status, 'completed');
    assert.equal((await run(basic.id)).status, 'completed');
    assert.deepEqual(seen.map((h) => h.authorization), [`Basic ${Buffer.from('u:p').toString('base64')}`, `Basic ${Buffer.from('u:p').toString('base64')}`]);

    const other = await run(basic.id, bob);
    assert.equal(other.status, 'failed');
    assert.match(JSON.stringify(other.error), /credential \\"[^"]+\\" not found/);
    const wrongType = await run('mail');
    assert.equal(wrongType.status, 'failed');
    assert.match(JSON.stringify(wrongType.error), /is of type smtp, expected one of/);
  });
});
