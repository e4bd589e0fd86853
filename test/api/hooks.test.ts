import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';

/** A flow started by its webhook; its output shows what the run saw. */
const hookFlow = (name: string, trigger: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name,
  trigger: { type: 'webhook', ...trigger },
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'end', type: 'end', data: { output: { data: '{{ trigger.data }}', type: '{{ trigger.type }}', input: '{{ input }}' } } },
  ],
  edges: [{ source: 'start', target: 'end' }],
  ...extra,
});

/** What a sender computes (docs/api-triggers.md), written out here rather than taken from the code. */
const sign = (secret: string, timestamp: number | string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
const nowS = () => Math.floor(Date.now() / 1000);

/** A code block of docs/api-triggers.md, found by the `<!-- example: name -->` comment above it. */
function docExample(name: string): string {
  const doc = fs.readFileSync(path.resolve(__dirname, '../../docs/api-triggers.md'), 'utf8');
  const m = new RegExp(`<!-- example: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(doc);
  assert.ok(m, `docs/api-triggers.md has the example ${name}`);
  return m[1];
}

describe('inbound webhooks: POST /hooks/{workflow_id}', function () {
  this.timeout(90_000);
  let tp: TestPlatform;
  let ada: string;
  let bob: string;

  /** Calls a hook (its URL, or a path under the API) with a raw body. */
  const hook = async (url: string, body: string | undefined, headers: Record<string, string> = {}) => {
    const res = await fetch(url.startsWith('http') ? url : tp.url + url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  const create = async (body: unknown, token = ada) => {
    const r = await tp.api('POST', '/api/v1/workflows', body, token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const runCount = async (flowId: string) => (await tp.api('GET', `/api/v1/workflows/${flowId}/executions`, undefined, ada)).body.total;

  before(async () => {
    tp = await startTestPlatform({ BODY_LIMIT: '4kb' });
    await tp.login(); // the first user is an admin; the tests use regular users
    ada = (await tp.login()).token;
    bob = (await tp.login()).token;
  });
  after(async () => tp?.stop());

  describe('auth: token', () => {
    let flow: any;
    let token: string;
    before(async () => {
      flow = await create(hookFlow('token hook', {}));
      token = flow.hook.token;
    });

    it('shows the token once, when the trigger is set, and stores only its SHA-256', async () => {
      assert.deepEqual(Object.keys(flow.hook).sort(), ['token', 'url']);
      assert.equal(flow.hook.url, `${tp.url}/hooks/${flow.id}`, 'the URL under the API address (no PUBLIC_URL set)');
      assert.match(token, /^fht_[A-Za-z0-9_-]{43}$/);
      const got = await tp.api('GET', `/api/v1/workflows/${flow.id}`, undefined, ada);
      assert.equal(got.status, 200);
      assert.equal(got.body.hook, undefined);
      assert.ok(!JSON.stringify(got.body).includes(token));
      // A change that keeps the trigger shows nothing again.
      const renamed = await tp.api('PATCH', `/api/v1/workflows/${flow.id}`, { name: 'token hook (renamed)' }, ada);
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      assert.equal(renamed.body.hook, undefined);

      const row = await tp.platform.db('flow_hooks').where({ flow_id: flow.id }).first();
      assert.equal(row.auth, 'token');
      assert.equal(row.token_hash, createHash('sha256').update(token).digest('hex'));
      assert.equal(row.secret_encrypted, null);
      const everything = JSON.stringify(await tp.platform.db('flow_hooks').select('*'));
      assert.ok(!everything.includes(token.slice(4)), 'the token is not stored in clear');
    });

    it('starts a run of the owner with the body as trigger.data and input, for the header or ?token=', async () => {
      const body = { order: { id: 12, items: ['a', 'b'] } };
      const r = await hook(flow.hook.url, JSON.stringify(body), { authorization: `Bearer ${token}` });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body).sort(), ['execution_id', 'status']);
      const remaining = Number(r.headers.get('x-ratelimit-remaining'));
      assert.ok(remaining > 0, 'hook answers carry the X-RateLimit-* headers');
      const run = await waitForRun(tp, ada, r.body.execution_id);
      assert.equal(run.status, 'completed', JSON.stringify(run));
      assert.deepEqual(run.output_data, { data: body, type: 'webhook', input: body });
      assert.equal(run.trigger.type, 'webhook');
      assert.match(run.trigger.delivery_id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(run.input_data, body);

      const q = await hook(`${flow.hook.url}?token=${encodeURIComponent(token)}`, 'plain words', { 'content-type': 'text/plain' });
      assert.equal(q.status, 202, JSON.stringify(q.body));
      assert.ok(Number(q.headers.get('x-ratelimit-remaining')) < remaining, "hook requests count against the client's budget");
      const textRun = await waitForRun(tp, ada, q.body.execution_id);
      assert.equal(textRun.output_data.data, 'plain words', 'a body that is not JSON is its text');
    });

    it('answers 401 for a missing or wrong token, and starts nothing', async () => {
      const before = await runCount(flow.id);
      const wrong: Record<string, string>[] = [{}, { authorization: `Bearer ${token}x` }, { authorization: `Bearer ${ada}` }, { authorization: token }];
      for (const headers of wrong) {
        const r = await hook(flow.hook.url, '{}', headers);
        assert.equal(r.status, 401, `${JSON.stringify(headers)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'UNAUTHORIZED');
      }
      assert.equal((await hook(`${flow.hook.url}?token=nope`, '{}')).status, 401);
      assert.equal(await runCount(flow.id), before);
    });

    it('rotates: the new token works, the old one no longer does; only the owner may rotate', async () => {
      assert.equal((await tp.api('POST', `/api/v1/workflows/${flow.id}/hook/rotate`, undefined, bob)).status, 404);
      const r = await tp.api('POST', `/api/v1/workflows/${flow.id}/hook/rotate`, undefined, ada);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.hook.url, flow.hook.url);
      assert.notEqual(r.body.hook.token, token);
      assert.equal((await hook(flow.hook.url, '{}', { authorization: `Bearer ${token}` })).status, 401);
      assert.equal((await hook(flow.hook.url, '{}', { authorization: `Bearer ${r.body.hook.token}` })).status, 202);
      token = r.body.hook.token;

      const manual = await create({ ...hookFlow('manual', {}), trigger: { type: 'manual' } });
      assert.equal((await tp.api('POST', `/api/v1/workflows/${manual.id}/hook/rotate`, undefined, ada)).status, 409);
    });

    it('answers 413 for a body over BODY_LIMIT', async () => {
      const r = await hook(flow.hook.url, JSON.stringify({ big: 'x'.repeat(5000) }), { authorization: `Bearer ${token}` });
      assert.equal(r.status, 413, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'PAYLOAD_TOO_LARGE');
    });
  });

  describe('auth: hmac', () => {
    let flow: any;
    let secret: string;
    before(async () => {
      flow = await create(hookFlow('signed hook', { auth: 'hmac' }));
      secret = flow.hook.secret;
    });
    const signed = (body: string, ts: number | string = nowS(), headers: Record<string, string> = {}) =>
      hook(flow.hook.url, body, { 'x-timestamp': String(ts), 'x-signature': sign(secret, ts, body), ...headers });

    it('shows the secret once and stores it sealed', async () => {
      assert.deepEqual(Object.keys(flow.hook).sort(), ['secret', 'url']);
      assert.match(secret, /^fhs_[A-Za-z0-9_-]{43}$/);
      const got = await tp.api('GET', `/api/v1/workflows/${flow.id}`, undefined, ada);
      assert.ok(!JSON.stringify(got.body).includes(secret));
      const row = await tp.platform.db('flow_hooks').where({ flow_id: flow.id }).first();
      assert.equal(row.auth, 'hmac');
      assert.equal(row.token_hash, null);
      assert.match(row.secret_encrypted, /^v1\./);
      assert.ok(!row.secret_encrypted.includes(secret.slice(4)));
    });

    it('accepts a request signed over "<timestamp>.<raw body>"', async () => {
      // Spacing and key order are the sender's: the signature covers the bytes as sent.
      const body = '{ "b": 2,\n  "a": [1, 2] }';
      const r = await signed(body);
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const run = await waitForRun(tp, ada, r.body.execution_id);
      assert.deepEqual(run.output_data.data, { b: 2, a: [1, 2] });
    });

    it('answers 401 for a wrong, missing or malformed signature and a stale, future or missing timestamp', async () => {
      const before = await runCount(flow.id);
      const body = '{"n":1}';
      const ts = nowS();
      const cases: [string, Record<string, string>][] = [
        ['another secret', { 'x-timestamp': String(ts), 'x-signature': sign(`${secret}x`, ts, body) }],
        ['another body', { 'x-timestamp': String(ts), 'x-signature': sign(secret, ts, '{"n":2}') }],
        ['another timestamp', { 'x-timestamp': String(ts + 1), 'x-signature': sign(secret, ts, body) }],
        ['no signature', { 'x-timestamp': String(ts) }],
        ['not hex', { 'x-timestamp': String(ts), 'x-signature': 'sha256=zz' }],
        ['stale', { 'x-timestamp': String(ts - 301), 'x-signature': sign(secret, ts - 301, body) }],
        ['future', { 'x-timestamp': String(ts + 301), 'x-signature': sign(secret, ts + 301, body) }],
        ['no timestamp', { 'x-signature': sign(secret, '', body) }],
        ['the secret as a token', { authorization: `Bearer ${secret}` }],
      ];
      for (const [name, headers] of cases) {
        const r = await hook(flow.hook.url, body, headers);
        assert.equal(r.status, 401, `${name}: ${JSON.stringify(r.body)}`);
      }
      assert.equal(await runCount(flow.id), before);
    });

    it('answers a repeated X-Delivery-Id with the run the first delivery started', async () => {
      const before = await runCount(flow.id);
      const first = await signed('{"delivery":1}', nowS(), { 'x-delivery-id': 'dlv-1' });
      assert.equal(first.status, 202, JSON.stringify(first.body));
      const again = await signed('{"delivery":1}', nowS() + 1, { 'x-delivery-id': 'dlv-1' });
      assert.equal(again.status, 202, JSON.stringify(again.body));
      assert.equal(again.body.execution_id, first.body.execution_id);
      assert.equal(await runCount(flow.id), before + 1);
      const run = await waitForRun(tp, ada, first.body.execution_id);
      assert.equal(run.trigger.delivery_id, 'dlv-1');
      const other = await signed('{"delivery":2}', nowS(), { 'x-delivery-id': 'dlv-2' });
      assert.notEqual(other.body.execution_id, first.body.execution_id);
      assert.equal((await signed('{}', nowS(), { 'x-delivery-id': 'd'.repeat(201) })).status, 400);
    });

    it('accepts the requests of the signing examples in docs/api-triggers.md (openssl and Node)', async () => {
      const env = { ...process.env, BASE: tp.url, FLOW: flow.id, SECRET: secret };
      const run = promisify(execFile);
      const shell = await run('bash', ['-c', docExample('hmac-sh')], { env });
      const fromShell = JSON.parse(shell.stdout);
      assert.ok(fromShell.execution_id, shell.stdout);
      const node = await run(process.execPath, ['--input-type=module', '-e', docExample('hmac-node')], { env });
      assert.match(node.stdout, /^202 /, node.stdout);
      const fromNode = JSON.parse(node.stdout.slice(4));
      for (const [id, order] of [[fromShell.execution_id, 1001], [fromNode.execution_id, 1002]]) {
        const done = await waitForRun(tp, ada, id);
        assert.deepEqual(done.output_data.data, { order_id: order, total: 42 });
        assert.equal(done.trigger.delivery_id, `order-${order}`);
      }
    });

    it('issues new credentials when auth changes, and forgets them when the trigger goes', async () => {
      const f = await create(hookFlow('switches', {}));
      const toHmac = await tp.api('PATCH', `/api/v1/workflows/${f.id}`, { trigger: { type: 'webhook', auth: 'hmac' } }, ada);
      assert.equal(toHmac.status, 200, JSON.stringify(toHmac.body));
      assert.match(toHmac.body.hook.secret, /^fhs_/);
      assert.equal((await hook(f.hook.url, '{}', { authorization: `Bearer ${f.hook.token}` })).status, 401);
      const off = await tp.api('PATCH', `/api/v1/workflows/${f.id}`, { trigger: { type: 'manual' } }, ada);
      assert.equal(off.status, 200, JSON.stringify(off.body));
      assert.equal(await tp.platform.db('flow_hooks').where({ flow_id: f.id }).first(), undefined);
      assert.equal((await hook(f.hook.url, '{}')).status, 404);
    });
  });

  it('answers with the output when the trigger says respond: "result"', async () => {
    const flow = await create(hookFlow('answers', { respond: 'result' }));
    const r = await hook(flow.hook.url, '{"q":"ping"}', { authorization: `Bearer ${flow.hook.token}` });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'completed');
    assert.deepEqual(r.body.output_data, { data: { q: 'ping' }, type: 'webhook', input: { q: 'ping' } });
  });

  it('answers 404 for a flow that is unknown, deleted, disabled, archived or not started by webhook', async () => {
    const disabled = await create(hookFlow('disabled', {}, { enabled: false }));
    const archived = await create(hookFlow('archived', {}, { status: 'archived' }));
    const deleted = await create(hookFlow('deleted', {}));
    assert.equal((await tp.api('DELETE', `/api/v1/workflows/${deleted.id}`, undefined, ada)).status, 204);
    assert.equal(await tp.platform.db('flow_hooks').where({ flow_id: deleted.id }).first(), undefined);
    const manual = await create({ ...hookFlow('manual', {}), trigger: { type: 'manual' } });
    for (const [name, path, token] of [
      ['disabled', disabled.hook.url, disabled.hook.token],
      ['archived', archived.hook.url, archived.hook.token],
      ['deleted', deleted.hook.url, deleted.hook.token],
      ['manual', `/hooks/${manual.id}`, 'x'],
      ['unknown', '/hooks/00000000-0000-4000-8000-000000000000', 'x'],
      ['not a uuid', '/hooks/nope', 'x'],
    ]) {
      const r = await hook(path, '{}', { authorization: `Bearer ${token}` });
      assert.equal(r.status, 404, `${name}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'NOT_FOUND');
    }
    // Enabled again, the same token works.
    assert.equal((await tp.api('PATCH', `/api/v1/workflows/${disabled.id}`, { enabled: true }, ada)).status, 200);
    assert.equal((await hook(disabled.hook.url, '{}', { authorization: `Bearer ${disabled.hook.token}` })).status, 202);
  });
});
