/**
 * The audit trail (docs/api-audit.md): every state-changing route is recorded by one middleware,
 * with ids and names only; users read their own trail, admins everyone's; filters and paging.
 */
import assert from 'node:assert/strict';
import { AUDIT_RULES } from '../../src/api/audit-rules';
import { listRoutes } from '../../src/api/route-table';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';
import { createStubApp } from '../helpers/stub-app';

const SIMPLE_FLOW = {
  name: 'audited',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'end', type: 'end', data: { output: { ok: true } } },
  ],
  edges: [{ source: 'start', target: 'end' }],
};

const APPROVAL_FLOW = {
  name: 'audited approval',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'approve', type: 'approval', data: { title: 'ok?' } },
    { id: 'end', type: 'end', data: { output: { done: true } } },
  ],
  edges: [
    { source: 'start', target: 'approve' },
    { source: 'approve', target: 'end', source_handle: 'approved' },
  ],
};

describe('audit log: /api/v1/audit-logs', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let admin: { token: string; user: any };
  let ada: { token: string; user: any };
  let bob: { token: string; user: any };
  const testDay = new Date().toISOString().slice(0, 10);

  type Auth = string | { apiKey: string };
  const entries = async (token: Auth, query = '') => {
    const r = await tp.api('GET', `/api/v1/audit-logs${query}`, undefined, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as { items: any[]; total: number; skip: number; limit: number };
  };
  const created = async (token: Auth, body: unknown = SIMPLE_FLOW) => {
    const r = await tp.api('POST', '/api/v1/workflows', body, token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };

  before(async () => {
    tp = await startTestPlatform();
    admin = await tp.login(); // the first user is an admin
    ada = await tp.login();
    bob = await tp.login();
  });
  after(async () => tp?.stop());

  it('has a rule for every route that is not a GET, and no rule for a route that does not exist', () => {
    const routes = listRoutes(createStubApp()).filter((r) => !['get', 'head', 'options'].includes(r.method));
    const keys = routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    assert.deepEqual(
      keys.filter((k) => !Object.hasOwn(AUDIT_RULES, k)),
      [],
      'routes without an audit rule (add them to src/api/audit-rules.ts and docs/api-audit.md)',
    );
    assert.deepEqual(
      Object.keys(AUDIT_RULES).filter((k) => !keys.includes(k)),
      [],
      'audit rules for routes that do not exist',
    );
  });

  it('records a flow’s creation, change, run and deletion with who, what, when and the request id', async () => {
    const started = new Date().toISOString();
    const flow = await created(ada.token);
    const patched = await tp.api('PATCH', `/api/v1/workflows/${flow.id}`, { description: 'changed' }, ada.token);
    assert.equal(patched.status, 200);
    const run = await tp.api('POST', `/api/v1/workflows/${flow.id}/execute`, { input_data: { x: 1 } }, ada.token);
    assert.equal(run.status, 201, JSON.stringify(run.body));
    await waitForRun(tp, ada.token, run.body.id);
    const deleted = await tp.api('DELETE', `/api/v1/workflows/${flow.id}`, undefined, ada.token);
    assert.equal(deleted.status, 204);

    const page = await entries(ada.token, `?resource_id=${flow.id}`);
    assert.deepEqual(
      page.items.map((e) => e.action),
      ['workflow.delete', 'workflow.execute', 'workflow.update', 'workflow.create'],
    );
    for (const e of page.items) {
      assert.equal(e.actor_id, ada.user.id);
      assert.equal(e.actor_name, ada.user.username);
      assert.equal(e.actor_type, 'user');
      assert.equal(e.via, 'jwt');
      assert.equal(e.owner_id, ada.user.id);
      assert.equal(e.resource_type, 'workflow');
      assert.ok(e.created_at >= started, `${e.created_at} >= ${started}`);
    }
    const [del, exec, upd, create] = page.items;
    assert.equal(create.route, '/api/v1/workflows');
    assert.equal(create.status_code, 201);
    assert.equal(upd.method, 'PATCH');
    assert.equal(upd.route, '/api/v1/workflows/{id}');
    assert.equal(exec.details.execution_id, run.body.id);
    assert.equal(exec.request_id, run.headers.get('x-request-id'));
    assert.equal(del.status_code, 204);
  });

  it('records approvals, rotations and API keys under their own actions, and a key as the actor’s way in', async () => {
    const key = await tp.api('POST', '/api/v1/auth/api-keys', { name: 'ci', scopes: ['read', 'write', 'execute', 'approve'] }, ada.token);
    assert.equal(key.status, 201);
    const flow = await created({ apiKey: key.body.key }, APPROVAL_FLOW);
    const run = await tp.api('POST', `/api/v1/workflows/${flow.id}/execute`, {}, { apiKey: key.body.key });
    await waitForRun(tp, ada.token, run.body.id, ['waiting']);
    const decided = await tp.api('POST', `/api/v1/executions/${run.body.id}/approvals/approve`, { decision: 'approve', comment: 'fine' }, ada.token);
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
    const credential = await tp.api('POST', '/api/v1/credentials', { name: 'svc', type: 'http_bearer', data: { token: 'first-token-value' } }, ada.token);
    assert.equal(credential.status, 201);
    assert.equal((await tp.api('PATCH', `/api/v1/credentials/${credential.body.id}`, { name: 'svc2' }, ada.token)).status, 200);
    assert.equal((await tp.api('PATCH', `/api/v1/credentials/${credential.body.id}`, { data: { token: 'second-token-value' } }, ada.token)).status, 200);
    assert.equal((await tp.api('DELETE', `/api/v1/auth/api-keys/${key.body.id}`, undefined, ada.token)).status, 204);

    const byAction = async (action: string) => (await entries(ada.token, `?action=${action}`)).items;
    const [approval] = await byAction('execution.approval_decide');
    assert.equal(approval.resource_type, 'execution');
    assert.equal(approval.resource_id, run.body.id);
    assert.equal(approval.details.node_id, 'approve');
    assert.match(String(approval.details.decision), /^approve/);
    assert.equal((await byAction('credential.update'))[0].resource_id, credential.body.id);
    assert.equal((await byAction('credential.rotate'))[0].resource_id, credential.body.id);
    const [createdKey] = await byAction('api_key.create');
    assert.equal(createdKey.resource_id, key.body.id);
    assert.equal((await byAction('api_key.revoke'))[0].resource_id, key.body.id);
    const [keyRun] = (await entries(ada.token, `?action=workflow.execute&resource_id=${flow.id}`)).items;
    assert.equal(keyRun.via, 'api_key');
    assert.equal(keyRun.api_key_id, key.body.id);
  });

  it('never stores a secret, a password or a request body', async () => {
    const canary = `canary-${Date.now()}`;
    const password = `pw-${canary}-long enough`;
    const reg = await tp.api('POST', '/api/v1/auth/register', { username: `audit_${Date.now()}`, email: `a${Date.now()}@example.test`, password });
    assert.equal(reg.status, 201);
    const key = await tp.api('POST', '/api/v1/auth/api-keys', { name: `key ${canary}`, scopes: ['read'] }, ada.token);
    const credential = await tp.api('POST', '/api/v1/credentials', { name: 'canary', type: 'http_bearer', data: { token: `tok-${canary}` } }, ada.token);
    await tp.api('PATCH', `/api/v1/credentials/${credential.body.id}`, { data: { token: `tok2-${canary}` } }, ada.token);
    const webhook = await tp.api('POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/audit', events: ['*'], secret: `sec-${canary}` }, ada.token);
    assert.equal(webhook.status, 201);
    await tp.api('PATCH', `/api/v1/webhooks/${webhook.body.id}`, { secret: `sec2-${canary}` }, ada.token);
    const hooked = await created(ada.token, { ...SIMPLE_FLOW, name: 'hooked', trigger: { type: 'webhook', auth: 'token' } });
    const rotated = await tp.api('POST', `/api/v1/workflows/${hooked.id}/hook/rotate`, {}, ada.token);
    assert.equal(rotated.status, 200);
    const hookToken: string = rotated.body.hook.token;
    const delivered = await fetch(`${tp.url}/hooks/${hooked.id}?token=${encodeURIComponent(hookToken)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ note: `body-${canary}` }),
    });
    assert.equal(delivered.status, 202, await delivered.text());
    await tp.api('POST', `/api/v1/workflows/${hooked.id}/execute`, { input_data: { note: `input-${canary}` } }, ada.token);

    const rows = await tp.platform.db('audit_logs').select('*');
    const dump = JSON.stringify(rows);
    for (const secret of [canary, password, key.body.key, hookToken, ada.token]) assert.ok(!dump.includes(secret), `the audit log holds ${secret}`);
    const actions = new Set(rows.map((r: any) => r.action));
    for (const a of ['user.register', 'credential.rotate', 'webhook.create', 'webhook.secret_rotate', 'workflow.hook_rotate', 'workflow.webhook_trigger']) {
      assert.ok(actions.has(a), `${a} recorded`);
    }
    const [registered] = (await entries(admin.token, `?action=user.register&resource_id=${reg.body.id}`)).items;
    assert.equal(registered.actor_id, reg.body.id);
  });

  it('puts a webhook’s run and an admin’s change in the trail of the flow’s owner', async () => {
    const flow = await created(ada.token, { ...SIMPLE_FLOW, name: 'hook owner', trigger: { type: 'webhook', auth: 'token' } });
    const res = await fetch(`${tp.url}/hooks/${flow.id}`, { method: 'POST', headers: { authorization: `Bearer ${flow.hook.token}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 202);
    const execId = ((await res.json()) as { execution_id: string }).execution_id;
    assert.equal((await tp.api('PATCH', `/api/v1/workflows/${flow.id}`, { description: 'by the admin' }, admin.token)).status, 200);

    const items = (await entries(ada.token, `?resource_id=${flow.id}`)).items;
    const hook = items.find((e) => e.action === 'workflow.webhook_trigger');
    assert.ok(hook, JSON.stringify(items));
    assert.equal(hook.actor_type, 'hook');
    assert.equal(hook.actor_id, null);
    assert.equal(hook.owner_id, ada.user.id);
    assert.equal(hook.details.execution_id, execId);
    assert.equal(hook.route, '/hooks/{workflow_id}');
    const change = items.find((e) => e.action === 'workflow.update');
    assert.equal(change?.actor_id, admin.user.id);
    assert.equal(change?.owner_id, ada.user.id);
  });

  it('shows users their own trail only, and admins everyone’s', async () => {
    const flow = await created(bob.token, { ...SIMPLE_FLOW, name: 'bob only' });
    const bobs = await entries(bob.token);
    assert.ok(bobs.items.length > 0);
    assert.ok(bobs.items.every((e) => e.owner_id === bob.user.id || e.actor_id === bob.user.id), JSON.stringify(bobs.items));
    assert.equal((await entries(ada.token, `?resource_id=${flow.id}`)).total, 0, 'ada does not see bob’s flow');
    assert.equal((await entries(ada.token, `?actor_id=${bob.user.id}`)).total, 0, 'nor bob’s actions');
    assert.equal((await entries(admin.token, `?resource_id=${flow.id}`)).total, 1);
    const everyone = await entries(admin.token, '?limit=100');
    assert.ok(new Set(everyone.items.map((e) => e.owner_id)).size >= 2);
    // Without the admin scope, an admin's key sees the admin's own trail only.
    const key = await tp.api('POST', '/api/v1/auth/api-keys', { name: 'plain', scopes: ['read'] }, admin.token);
    const own = await entries({ apiKey: key.body.key });
    assert.ok(own.items.every((e) => e.owner_id === admin.user.id || e.actor_id === admin.user.id));
  });

  it('does not record requests that failed', async () => {
    const flow = await created(ada.token);
    const before = (await entries(admin.token)).total;
    assert.equal((await tp.api('DELETE', `/api/v1/workflows/${flow.id}`, undefined, bob.token)).status, 404);
    assert.equal((await tp.api('PATCH', `/api/v1/workflows/${flow.id}`, { name: '' }, ada.token)).status, 422);
    assert.equal((await tp.api('POST', '/api/v1/workflows/validate', SIMPLE_FLOW, ada.token)).status, 200);
    assert.equal((await entries(admin.token)).total, before);
  });

  it('filters by actor, action, resource and time, and pages like every list', async () => {
    const flow = await created(ada.token);
    for (let i = 0; i < 3; i++) await tp.api('PATCH', `/api/v1/workflows/${flow.id}`, { description: `v${i}` }, ada.token);
    const q = `?resource_type=workflow&resource_id=${flow.id}&action=workflow.update&actor_id=${ada.user.id}`;
    const all = await entries(ada.token, q);
    assert.equal(all.total, 3);
    const page = await entries(ada.token, `${q}&skip=1&limit=1`);
    assert.deepEqual([page.total, page.skip, page.limit, page.items.length], [3, 1, 1, 1]);
    assert.equal(page.items[0].id, all.items[1].id);
    const cut = all.items[1].created_at;
    assert.ok((await entries(ada.token, `${q}&since=${encodeURIComponent(cut)}`)).items.every((e) => e.created_at >= cut));
    assert.ok((await entries(ada.token, `${q}&until=${encodeURIComponent(cut)}`)).items.every((e) => e.created_at <= cut));
    assert.equal((await entries(ada.token, `${q}&since=2999-01-01T00:00:00Z`)).total, 0);
  });

  it('counts entries by action and by day', async () => {
    const r = await tp.api('GET', '/api/v1/audit-logs/stats?resource_type=workflow', undefined, ada.token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const list = await entries(ada.token, '?resource_type=workflow');
    assert.equal(r.body.total, list.total);
    assert.equal(
      r.body.by_action.reduce((n: number, a: any) => n + a.count, 0),
      list.total,
    );
    assert.ok(r.body.by_action.some((a: any) => a.action === 'workflow.update'));
    assert.equal(
      r.body.by_day.reduce((n: number, d: any) => n + d.count, 0),
      list.total,
    );
    const today = new Date().toISOString().slice(0, 10);
    assert.ok(r.body.by_day.every((d: any) => d.date <= today && d.date >= testDay), JSON.stringify(r.body.by_day));
  });

  it('answers bad filters with 400', async () => {
    for (const q of ['?limit=1000', '?skip=-1', '?since=yesterday', '?actor_id=nobody', "?action=x'; drop table audit_logs", '?resource_type=A B', '?since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z', '?action[$ne]=x']) {
      const r = await tp.api('GET', `/api/v1/audit-logs${q}`, undefined, ada.token);
      assert.equal(r.status, 400, `${q}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'BAD_REQUEST');
    }
    assert.equal((await tp.api('GET', '/api/v1/audit-logs/stats?until=later', undefined, ada.token)).status, 400);
    assert.equal((await tp.api('GET', '/api/v1/audit-logs')).status, 401);
  });
});
