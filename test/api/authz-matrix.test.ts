/**
 * The authorization matrix, generated from the route table: every route × {owner (JWT), another
 * user (JWT), a read-only API key, a key without the route's scope, no credentials}. A new route
 * joins the matrix by itself; a new kind of path parameter fails until it gets a fixture below.
 */
import assert from 'node:assert/strict';
import { upgradeStatus } from '../helpers/ws';
import { API_OPERATIONS } from '../../src/api/openapi/operations';
import { listRoutes, type RouteInfo } from '../../src/api/route-table';
import { SCOPES, type Scope } from '../../src/api/principal';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';
import { createStubApp } from '../helpers/stub-app';

type Caller = 'none' | 'other' | 'read-key' | 'key-without-scope' | 'owner';
type Auth = { bearer: string } | { apiKey: string } | undefined;

const ROUTES = listRoutes(createStubApp()).filter((r) => r.method !== 'head' && r.method !== 'options');

// Side effects on the shared fixtures (deleting the flow, revoking the key) come last.
const ORDERED = [...ROUTES].sort((a, b) => Number(a.method === 'delete') - Number(b.method === 'delete') || b.path.length - a.path.length);

const APPROVAL_FLOW = {
  name: 'authz fixture',
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

interface Fixtures {
  flowId: string;
  runId: string;
  keyId: string;
  templateId: string;
  webhookId: string;
  credentialId: string;
  dataSourceId: string;
  toolId: string;
}

/** Values for path parameters; `owned` marks the owner's resources (another user must get 404). */
function paramValue(route: RouteInfo, name: string, f: Fixtures): { value: string; owned: boolean } {
  const p = route.path;
  if (name === 'id' && p.startsWith('/api/v1/workflows/{id}')) return { value: f.flowId, owned: true };
  if (name === 'id' && p.startsWith('/api/v1/executions/{id}')) return { value: f.runId, owned: true };
  if (name === 'id' && p.startsWith('/api/v1/auth/api-keys/{id}')) return { value: f.keyId, owned: true };
  // The live event sockets answer a plain GET (no upgrade) after the same checks as the upgrade.
  if (name === 'id' && p === '/api/v1/ws/workflows/{id}') return { value: f.flowId, owned: true };
  if (name === 'id' && p === '/api/v1/ws/executions/{id}') return { value: f.runId, owned: true };
  if (name === 'v' && p.startsWith('/api/v1/workflows/{id}/versions/')) return { value: '1', owned: false };
  if (name === 'node_id' && p.startsWith('/api/v1/workflows/{id}/nodes/')) return { value: 'start', owned: false };
  if (name === 'node_id' && p.startsWith('/api/v1/executions/{id}/approvals/')) return { value: 'approve', owned: false };
  if (name === 'tid') return { value: f.templateId, owned: false };
  // Public: the flow's own hook credentials authenticate it (this flow has none: 404).
  if (name === 'workflow_id' && p.startsWith('/hooks/')) return { value: f.flowId, owned: false };
  if (name === 'id' && p.startsWith('/api/v1/webhooks/{id}')) return { value: f.webhookId, owned: true };
  if (name === 'id' && p.startsWith('/api/v1/credentials/{id}')) return { value: f.credentialId, owned: true };
  if (name === 'id' && p.startsWith('/api/v1/data-sources/{id}')) return { value: f.dataSourceId, owned: true };
  if (name === 'id' && p.startsWith('/api/v1/tools/{id}')) return { value: f.toolId, owned: true };
  // Public: the signed token is the credential (this one is not valid: 401).
  if (name === 'token' && p.startsWith('/api/v1/approvals/links/')) return { value: 'not-a-token', owned: false };
  if (name === 'type' && p.startsWith('/api/v1/node-types/')) return { value: 'noop', owned: false };
  throw new Error(`no fixture for {${name}} in ${route.method.toUpperCase()} ${p}: add one to paramValue()`);
}

/** Bodies that reference the owner's resources, instead of the documented example. */
function bodyOverride(route: RouteInfo, f: Fixtures): { body: unknown; owned: boolean } | undefined {
  if (route.method === 'post' && route.path === '/api/v1/executions') return { body: { workflow_id: f.flowId }, owned: true };
  return undefined;
}

/** The status classes a caller may get for a route. */
function expectation(route: RouteInfo, caller: Caller, ownedResource: boolean): { ok: (s: number) => boolean; text: string } {
  const allowed = { ok: (s: number) => s < 500 && ![401, 403, 404].includes(s), text: 'allowed past auth (not 401/403/404/5xx)' };
  const is = (status: number) => ({ ok: (s: number) => s === status, text: String(status) });
  if (!route.authenticated) return { ok: (s) => s < 500, text: 'a public answer (< 500)' };
  switch (caller) {
    case 'none':
      return is(401);
    case 'other':
      return ownedResource ? is(404) : allowed;
    case 'read-key':
      return !route.scope || route.scope === 'read' ? allowed : is(403);
    case 'key-without-scope':
      return is(403);
    case 'owner':
      return allowed;
  }
}

async function call(url: string, route: RouteInfo, path: string, body: unknown, auth: Auth): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  if (auth && 'bearer' in auth) headers.authorization = `Bearer ${auth.bearer}`;
  if (auth && 'apiKey' in auth) headers['x-api-key'] = auth.apiKey;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const abort = new AbortController();
  const res = await fetch(url + path, {
    method: route.method.toUpperCase(),
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: abort.signal,
  });
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    abort.abort();
    return { status: res.status, text: '(event stream)' };
  }
  return { status: res.status, text: (await res.text()).slice(0, 300) };
}

describe('authorization matrix (every route × caller)', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let fixtures: Fixtures;
  const callers = new Map<Caller | `without-${Scope}`, Auth>();

  before(async () => {
    tp = await startTestPlatform();
    await tp.login(); // the first user becomes admin: keep the owner a regular user
    const owner = (await tp.login()).token;
    const other = (await tp.login()).token;
    callers.set('owner', { bearer: owner });
    callers.set('other', { bearer: other });
    const key = async (scopes: string[]) => {
      const r = await tp.api('POST', '/api/v1/auth/api-keys', { name: scopes.join('+'), scopes }, owner);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body as { id: string; key: string };
    };
    callers.set('read-key', { apiKey: (await key(['read'])).key });
    const plain = SCOPES.filter((s) => s !== 'admin');
    for (const s of SCOPES) callers.set(`without-${s}`, { apiKey: (await key(plain.filter((x) => x !== s))).key });
    const keyId = (await key(['read'])).id;

    const flow = await tp.api('POST', '/api/v1/workflows', APPROVAL_FLOW, owner);
    assert.equal(flow.status, 201, JSON.stringify(flow.body));
    const run = await tp.api('POST', `/api/v1/workflows/${flow.body.id}/execute`, {}, owner);
    assert.equal(run.status, 201, JSON.stringify(run.body));
    await waitForRun(tp, owner, run.body.id, ['waiting']);
    const templates = await tp.api('GET', '/api/v1/workflows/templates', undefined, owner);
    const hook = await tp.api('POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/authz', events: ['*'] }, owner);
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    const credential = await tp.api('POST', '/api/v1/credentials', { name: 'authz', type: 'http_bearer', data: { token: 'authz-token' } }, owner);
    assert.equal(credential.status, 201, JSON.stringify(credential.body));
    // An inline document: testing and querying it reach no server.
    const dataSource = await tp.api('POST', '/api/v1/data-sources', { name: 'authz', type: 'json', config: { data: { items: [] } } }, owner);
    assert.equal(dataSource.status, 201, JSON.stringify(dataSource.body));
    // Port 9 (discard) refuses: a tool test fails fast, with 200 and success false.
    const tool = await tp.api(
      'POST',
      '/api/v1/tools',
      { name: 'authz_tool', description: 'authz fixture', input_schema: { type: 'object' }, http: { url: 'http://127.0.0.1:9/authz/{{ building }}' } },
      owner,
    );
    assert.equal(tool.status, 201, JSON.stringify(tool.body));
    fixtures = {
      flowId: flow.body.id,
      runId: run.body.id,
      keyId,
      templateId: templates.body?.items?.[0]?.id ?? 'unknown',
      webhookId: hook.body.id,
      credentialId: credential.body.id,
      dataSourceId: dataSource.body.id,
      toolId: tool.body.id,
    };
  });
  after(async () => tp?.stop());

  it('covers every route of the app', () => {
    assert.ok(ROUTES.length >= 30, `${ROUTES.length} routes`);
  });

  // Batch routes answer 200 and report each item: another user's flow must be an item "not found".
  it('reports the owner’s flow as not found in every batch item of another user', async () => {
    for (const op of ['execute', 'export', 'delete']) {
      const res = await call(tp.url, { method: 'post' } as RouteInfo, `/api/v1/batch/${op}`, { workflow_ids: [fixtures.flowId] }, callers.get('other'));
      assert.equal(res.status, 200, res.text);
      const item = JSON.parse(res.text).results[0];
      assert.deepEqual([item.status, item.status_code, item.error.code], ['error', 404, 'NOT_FOUND'], `${op}: ${res.text}`);
    }
    assert.equal((await call(tp.url, { method: 'get' } as RouteInfo, `/api/v1/workflows/${fixtures.flowId}`, undefined, callers.get('owner'))).status, 200);
  });

  it('refuses WebSocket upgrades of both live event sockets as their routes do', async () => {
    const paths = [`/api/v1/ws/workflows/${fixtures.flowId}`, `/api/v1/ws/executions/${fixtures.runId}`];
    const upgrade = (path: string, auth: Auth) => {
      const headers: Record<string, string> = {};
      if (auth && 'bearer' in auth) headers.authorization = `Bearer ${auth.bearer}`;
      if (auth && 'apiKey' in auth) headers['x-api-key'] = auth.apiKey;
      return upgradeStatus(tp.url.replace(/^http/, 'ws') + path, headers);
    };
    const got: string[] = [];
    for (const path of paths) {
      for (const caller of ['none', 'other', 'without-read', 'read-key', 'owner'] as const) {
        got.push(`${path.split('/')[4]} ${caller}: ${await upgrade(path, callers.get(caller))}`);
      }
    }
    assert.deepEqual(
      got,
      ['workflows', 'executions'].flatMap((kind) => [`${kind} none: 401`, `${kind} other: 404`, `${kind} without-read: 403`, `${kind} read-key: 101`, `${kind} owner: 101`]),
    );
  });

  for (const route of ORDERED) {
    const name = `${route.method.toUpperCase()} ${route.path} (${route.authenticated ? (route.scope ?? 'any credentials') : 'public'})`;
    it(name, async () => {
      const params = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      let owned = false;
      let path = route.path;
      for (const p of params) {
        const v = paramValue(route, p, fixtures);
        owned ||= v.owned;
        path = path.replace(`{${p}}`, encodeURIComponent(v.value));
      }
      const override = bodyOverride(route, fixtures);
      owned ||= Boolean(override?.owned);
      const doc = API_OPERATIONS.find((o) => o.method === route.method && o.path === route.path);
      const body = override?.body ?? (doc?.body ? (doc.body.example ?? {}) : ['post', 'put', 'patch'].includes(route.method) ? {} : undefined);

      const rows: [Caller, Auth][] = [
        ['none', undefined],
        ['other', callers.get('other')],
        ['read-key', callers.get('read-key')],
      ];
      if (route.authenticated && route.scope) rows.push(['key-without-scope', callers.get(`without-${route.scope}`)]);
      rows.push(['owner', callers.get('owner')]);

      const failures: string[] = [];
      for (const [caller, auth] of rows) {
        const res = await call(tp.url, route, path, body, auth);
        const want = expectation(route, caller, owned);
        if (!want.ok(res.status)) failures.push(`${caller}: got ${res.status}, want ${want.text} — ${res.text}`);
      }
      assert.deepEqual(failures, []);
    });
  }
});
