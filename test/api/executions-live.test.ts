import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';
import { openStream, type Stream } from '../helpers/sse';
import { until } from '../helpers/wait';
import { upgradeStatus } from '../helpers/ws';


/** Whether the stream has shown `nodeId` in `status`: in its state_sync, or through a later event. */
async function seen(s: Stream, nodeId: string, status: string, event: string): Promise<void> {
  const sync = await s.next('state_sync');
  if (sync.data.data.steps.some((st: any) => st.node_id === nodeId && st.status === status)) return;
  await s.next(event, (e) => e.data.data.node_id === nodeId);
}

describe('live events (SSE) and node tests', function () {
  this.timeout(90_000);
  let tp: TestPlatform;
  let token: string;
  let other: string;
  let server: http.Server;
  let base: string;

  const api = (method: string, path: string, body?: unknown, auth: string | { apiKey: string } = token) =>
    tp.api(method, `/api/v1${path}`, body, auth);
  const createFlow = async (flow: unknown) => {
    const r = await api('POST', '/workflows', flow);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const start = async (workflowId: string, input_data: unknown = {}) => {
    const r = await api('POST', '/executions', { workflow_id: workflowId, input_data });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const streamUrl = (id: string) => `${tp.url}/api/v1/executions/${id}/events/stream`;
  const bearer = () => ({ authorization: `Bearer ${token}` });

  before(async () => {
    server = http.createServer((req, res) => {
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
      res
        .writeHead(status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status, ok: status < 400 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    tp = await startTestPlatform();
    await tp.login(); // the first user is an admin; the tests use regular users
    token = (await tp.login()).token;
    other = (await tp.login()).token;
  });
  after(async () => {
    await tp?.stop();
    server?.close();
  });

  describe('GET /executions/{id}/events/stream', () => {
    it('syncs state, then streams node, pause, log and terminal events, and ends the stream', async () => {
      const flow = await createFlow({
        name: 'live',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'a', type: 'noop', data: { value: 'A', delay_ms: 800 } },
          { id: 'w', type: 'wait-event', data: { name: 'go' } },
          { id: 'check', type: 'condition', data: { expression: 'w.result.ok' } },
          { id: 'yes', type: 'noop', data: { value: 'yes' } },
          { id: 'no', type: 'noop', data: { value: 'no' } },
        ],
        edges: [
          { source: 'start', target: 'a' },
          { source: 'a', target: 'w' },
          { source: 'w', target: 'check' },
          { source: 'check', target: 'yes', source_handle: 'true' },
          { source: 'check', target: 'no', source_handle: 'false' },
        ],
      });
      const id = await start(flow);
      const s = await openStream(streamUrl(id), bearer());
      assert.equal(s.res.status, 200);
      assert.match(s.res.headers.get('content-type') ?? '', /^text\/event-stream/);

      const sync = await s.next('state_sync');
      assert.equal(s.events[0].event, 'state_sync');
      assert.equal(sync.data.execution_id, id);
      assert.equal(sync.data.data.execution.id, id);
      assert.ok(Array.isArray(sync.data.data.steps));
      assert.ok(typeof sync.data.data.progress.total === 'number');

      await seen(s, 'a', 'running', 'node_started');
      const aDone = await s.next('node_completed', (e) => e.data.data.node_id === 'a');
      assert.deepEqual(aDone.data.data.output, { result: 'A' });
      const log = await s.next('log', (e) => e.data.data.node_id === 'a');
      assert.equal(log.data.data.level, 'info');
      for (const f of ['id', 'node_id', 'node_type', 'level', 'message', 'timestamp', 'duration_ms'])
        assert.ok(f in log.data.data, f);
      const waiting = await s.next('node_waiting', (e) => e.data.data.node_id === 'w');
      assert.deepEqual(waiting.data.data.waiting_for, { node_id: 'w', kind: 'event', name: 'go' });

      assert.equal((await api('POST', `/executions/${id}/pause`)).status, 200);
      assert.equal((await s.next('execution_paused')).data.data.status, 'paused');
      assert.equal((await api('POST', `/executions/${id}/resume`)).status, 200);
      await s.next('execution_resumed');

      assert.equal(
        (await api('POST', `/executions/${id}/events`, { name: 'go', data: { ok: true } })).status,
        202,
      );
      await s.next('node_completed', (e) => e.data.data.node_id === 'yes');
      assert.equal(
        (await s.next('node_skipped', (e) => e.data.data.node_id === 'no')).data.data.status,
        'skipped',
      );
      const end = await s.next('execution_completed');
      assert.equal(end.data.data.status, 'completed');
      assert.equal(end.data.data.output_data, 'yes');
      await s.done;
      assert.ok(s.ended());
      assert.equal(s.events.at(-1)?.event, 'execution_completed');
      // Every node start comes before its completion; event ids are cursors that only move forward.
      const order = s.events.map((e) => `${e.event}:${e.data.data.node_id ?? ''}`);
      assert.ok(order.indexOf('node_started:w') < 0, 'a waiting node is reported as node_waiting only');
      assert.ok(order.indexOf('node_started:yes') < order.indexOf('node_completed:yes'));
      const cursors = s.events.map((e) => String(e.id).split('-').map(Number));
      for (let i = 1; i < cursors.length; i++) {
        assert.ok(cursors[i][0] >= cursors[i - 1][0] && cursors[i][1] >= cursors[i - 1][1], `cursor ${s.events[i].id} after ${s.events[i - 1].id}`);
      }
    });

    it('streams node_failed and execution_failed for a failing run', async () => {
      const flow = await createFlow({
        name: 'fails live',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'slow', type: 'noop', data: { delay_ms: 500 } },
          { id: 'fetch', type: 'http-request', data: { url: `${base}/?status=404` } },
        ],
        edges: [
          { source: 'start', target: 'slow' },
          { source: 'slow', target: 'fetch' },
        ],
      });
      const id = await start(flow);
      const s = await openStream(streamUrl(id), bearer());
      const failed = await s.next('node_failed', (e) => e.data.data.node_id === 'fetch');
      assert.match(failed.data.data.error.message, /404/);
      await s.next('log', (e) => e.data.data.level === 'error');
      const end = await s.next('execution_failed');
      assert.equal(end.data.data.status, 'failed');
      assert.equal(end.data.data.error.node_id, 'fetch');
      await s.done;
    });

    it('on a finished run sends state_sync, the logs and the terminal event, then ends; cancelled runs end with execution_cancelled', async () => {
      const flow = await createFlow({
        name: 'quick',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'n', type: 'noop', data: { value: 1 } },
        ],
        edges: [{ source: 'start', target: 'n' }],
      });
      const id = await start(flow);
      await waitForRun(tp, token, id);
      const s = await openStream(streamUrl(id), bearer());
      await s.done;
      const types = s.events.map((e) => e.event);
      assert.equal(types[0], 'state_sync');
      assert.equal(types.at(-1), 'execution_completed');
      assert.ok(types.includes('log'));
      assert.equal(s.events[0].data.data.status, 'completed');

      const waits = await createFlow({
        name: 'waits live',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'w', type: 'wait-event', data: { name: 'never' } },
        ],
        edges: [{ source: 'start', target: 'w' }],
      });
      const wid = await start(waits);
      const c = await openStream(streamUrl(wid), bearer());
      await seen(c, 'w', 'waiting', 'node_waiting');
      await api('POST', `/executions/${wid}/cancel`);
      assert.equal((await c.next('execution_cancelled')).data.data.status, 'cancelled');
      await c.done;
    });

    it('accepts ?token= (EventSource cannot send headers); 401 without credentials, 404 for other users', async () => {
      const flow = await createFlow({ name: 'tok', nodes: [{ id: 'start', type: 'start' }], edges: [] });
      const id = await start(flow);
      await waitForRun(tp, token, id);
      const viaQuery = await openStream(`${streamUrl(id)}?token=${encodeURIComponent(token)}`);
      assert.equal(viaQuery.res.status, 200);
      await viaQuery.done;
      assert.equal(viaQuery.events.at(-1)?.event, 'execution_completed');

      const none = await fetch(streamUrl(id));
      assert.equal(none.status, 401);
      const theirs = await fetch(streamUrl(id), { headers: { authorization: `Bearer ${other}` } });
      assert.equal(theirs.status, 404);
      assert.equal(((await theirs.json()) as any).error.code, 'NOT_FOUND');
      // ?token= is honoured on the stream only.
      assert.equal(
        (await fetch(`${tp.url}/api/v1/executions/${id}?token=${encodeURIComponent(token)}`)).status,
        401,
      );
    });

    it('stops polling when the client disconnects', async () => {
      const flow = await createFlow({
        name: 'long wait',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'n', type: 'noop', data: { delay_ms: 20_000 } },
        ],
        edges: [{ source: 'start', target: 'n' }],
      });
      const id = await start(flow);
      const logs = tp.platform.repos.logs;
      const list = logs.list.bind(logs);
      let polls = 0;
      logs.list = (executionId, options) => {
        if (executionId === id) polls++;
        return list(executionId, options);
      };
      try {
        const s = await openStream(streamUrl(id), bearer());
        await s.next('state_sync');
        await until(async () => polls > 1, 'the stream to poll the log again');
        s.close();
        await s.done;
        // The server notices the closed connection a moment later; then polling must stop for good.
        await new Promise((r) => setTimeout(r, 600));
        const after = polls;
        await new Promise((r) => setTimeout(r, 1_000));
        assert.equal(polls, after, 'no polling after the client went away');
      } finally {
        logs.list = list;
        await api('POST', `/executions/${id}/terminate`);
      }
    });
  });

  describe('WebSocket /api/v1/ws/executions/{id}', () => {
    const wsUrl = (id: string, query = '') =>
      `${tp.url.replace(/^http/, 'ws')}/api/v1/ws/executions/${id}${query}`;

    /** Collects a socket's messages until the server closes it. */
    const collect = (ws: WebSocket) =>
      new Promise<{ messages: any[]; code: number }>((resolve, reject) => {
        const messages: any[] = [];
        ws.on('message', (m) => messages.push(JSON.parse(String(m))));
        ws.on('close', (code) => resolve({ messages, code }));
        ws.on('error', reject);
      });
    it('streams the same events as SSE and closes with 1000 after the terminal event', async () => {
      const flow = await createFlow({
        name: 'ws',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'w', type: 'wait-event', data: { name: 'go' } },
          { id: 'n', type: 'noop', data: { value: '{{ w.result }}' } },
        ],
        edges: [
          { source: 'start', target: 'w' },
          { source: 'w', target: 'n' },
        ],
      });
      const id = await start(flow);
      const ws = new WebSocket(wsUrl(id), { headers: bearer() });
      const done = collect(ws);
      await new Promise((r) => ws.once('open', r));
      // Let the socket send its state_sync while the run still waits, so what follows arrives live.
      await new Promise((r) => setTimeout(r, 500));
      await api('POST', `/executions/${id}/events`, { name: 'go', data: 'hi' });
      const { messages, code } = await done;
      assert.equal(code, 1000);
      assert.equal(messages[0].type, 'state_sync');
      assert.equal(messages[0].execution_id, id);
      const completed = messages.find((m) => m.type === 'node_completed' && m.data.node_id === 'n');
      assert.deepEqual(completed.data.output, { result: 'hi' });
      assert.ok(messages.some((m) => m.type === 'log'));
      assert.equal(messages.at(-1).type, 'execution_completed');
    });

    it('accepts ?token= and refuses bad credentials, missing scope and other users’ runs', async () => {
      const flow = await createFlow({ name: 'ws done', nodes: [{ id: 'start', type: 'start' }], edges: [] });
      const id = await start(flow);
      await waitForRun(tp, token, id);
      const viaQuery = await collect(new WebSocket(wsUrl(id, `?token=${encodeURIComponent(token)}`)));
      assert.deepEqual(
        viaQuery.messages.map((m) => m.type),
        ['state_sync', 'execution_completed'],
      );
      assert.equal(await upgradeStatus(wsUrl(id)), 401);
      assert.equal(await upgradeStatus(wsUrl(id, '?token=nonsense')), 401);
      assert.equal(await upgradeStatus(wsUrl(id), { authorization: `Bearer ${other}` }), 404);
      assert.equal(await upgradeStatus(wsUrl('not-a-uuid'), bearer()), 404);
      const key = await api('POST', '/auth/api-keys', { name: 'exec only', scopes: ['execute'] });
      assert.equal(await upgradeStatus(wsUrl(id), { 'x-api-key': key.body.key }), 403);
      assert.equal(await upgradeStatus(`${tp.url.replace(/^http/, 'ws')}/api/v1/ws/elsewhere`, bearer()), 404);
    });
  });

  describe('GET /node-types', () => {
    it('answers a page of the catalogue, all of it by default, also under the seeds\' name node_types', async () => {
      const all = await api('GET', '/node-types');
      assert.equal(all.status, 200, JSON.stringify(all.body));
      assert.deepEqual(Object.keys(all.body).sort(), ['items', 'limit', 'node_types', 'skip', 'total']);
      assert.equal(all.body.total, all.body.items.length);
      assert.ok(all.body.items.some((t: any) => t.type === 'http-request' && t.config_schema.type === 'object'));
      assert.deepEqual(all.body.node_types, all.body.items);
      assert.deepEqual([all.body.skip, all.body.limit], [0, 100]);

      const page = await api('GET', '/node-types?skip=2&limit=3');
      assert.deepEqual(page.body.items.map((t: any) => t.type), all.body.items.slice(2, 5).map((t: any) => t.type));
      assert.equal(page.body.total, all.body.total);
      assert.equal((await api('GET', '/node-types?limit=101')).status, 400);
      assert.equal((await api('GET', '/node-types/http_request')).body.type, 'http-request');
    });
  });

  describe('POST /nodes/test', () => {
    it('runs a control node through Temporal and returns its output and port', async () => {
      const r = await api('POST', '/nodes/test', {
        type: 'transform',
        data: { expression: 'input.a * 2' },
        input: { a: 21 },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.success, true);
      assert.deepEqual(r.body.output, { result: 42 });
      assert.equal(r.body.error, null);
      assert.deepEqual(r.body.logs, []);
      assert.ok(r.body.duration_ms >= 0);
      assert.match(r.body.temporal.workflow_id, /^node-test-/);
      const cond = await api('POST', '/nodes/test', {
        type: 'condition',
        data: { expression: 'input.n > 1' },
        input: { n: 2 },
      });
      assert.equal(cond.body.port, 'true');
    });

    it('runs an activity node with templates over the input, returning its logs', async () => {
      const r = await api('POST', '/nodes/test', {
        type: 'http_request',
        data: { url: `${base}/?status={{ input.code }}` },
        input: { code: 200 },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.success, true);
      assert.deepEqual(r.body.output.result, { status: 200, ok: true });
      assert.equal(r.body.attempt, 1);
      assert.ok(
        r.body.logs.some((l: any) => l.level === 'info'),
        JSON.stringify(r.body.logs),
      );
    });

    it('reports a failing node with success:false, its error and error logs, after one attempt', async () => {
      const r = await api('POST', '/nodes/test', {
        type: 'http-request',
        data: { url: `${base}/?status=500` },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.success, false);
      assert.equal(r.body.output, null);
      assert.match(r.body.error.message, /500/);
      assert.equal(r.body.attempt, 1);
      assert.ok(r.body.logs.some((l: any) => l.level === 'error'));
    });

    it('is not listed as an execution', async () => {
      const before = (await api('GET', '/executions')).body.total;
      await api('POST', '/nodes/test', { type: 'noop', data: { value: 1 } });
      assert.equal((await api('GET', '/executions')).body.total, before);
    });

    it('answers 422 for an unknown type, invalid data, or a node that cannot run alone; 403 without execute', async () => {
      const unknown = await api('POST', '/nodes/test', { type: 'teleport', data: {} });
      assert.equal(unknown.status, 422);
      assert.ok(unknown.body.error.details.type);
      const invalid = await api('POST', '/nodes/test', { type: 'http-request', data: { url: 42 } });
      assert.equal(invalid.status, 422);
      assert.ok(invalid.body.error.details['data.url'], JSON.stringify(invalid.body));
      const approval = await api('POST', '/nodes/test', { type: 'approval', data: {} });
      assert.equal(approval.status, 422);
      assert.equal((await api('POST', '/nodes/test', { data: {} })).status, 422);
      assert.equal((await api('POST', '/nodes/test', { type: 'noop', data: 'x' })).status, 422);
      const key = await api('POST', '/auth/api-keys', { name: 'ro', scopes: ['read'] });
      assert.equal(
        (await api('POST', '/nodes/test', { type: 'noop' }, { apiKey: key.body.key })).status,
        403,
      );
      assert.equal((await tp.api('POST', '/api/v1/nodes/test', { type: 'noop' })).status, 401);
    });
  });
});

describe('live connection limits', function () {
  this.timeout(60_000);

  const wsBase = (tp: TestPlatform) => `${tp.url.replace(/^http/, 'ws')}/api/v1/ws/executions`;

  /** A live connection the test opened: `ended` resolves once the server or the test closed it. */
  interface Live {
    ended: Promise<void>;
    close(): Promise<void>;
  }

  /** Opens a socket; resolves once it is open, or with the HTTP status its upgrade was refused with. */
  const connect = (url: string, headers: Record<string, string>) =>
    new Promise<{ live?: Live; status: number; headers?: http.IncomingHttpHeaders }>((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const ended = new Promise<void>((r) => ws.once('close', () => r()));
      ws.once('open', () =>
        resolve({
          status: 101,
          live: {
            ended,
            close: async () => {
              ws.close();
              await ended;
            },
          },
        }),
      );
      ws.once('unexpected-response', (_req, res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
        res.resume();
      });
      ws.once('error', (err) => reject(err));
    });

  describe('per user, WebSocket and SSE together', () => {
    let tp: TestPlatform;
    const opened: Live[] = [];
    const runs: { token: string; runId: string }[] = [];

    before(async () => {
      tp = await startTestPlatform({ LIVE_CONNECTIONS_PER_USER: '3' });
      await tp.login();
    });
    after(async () => {
      // Finished runs end their streams and sockets from the server side; then nothing polls on.
      for (const { token, runId } of runs) await tp.api('POST', `/api/v1/executions/${runId}/terminate`, {}, token);
      await Promise.all(opened.map((l) => l.ended));
      await tp?.stop();
    });

    /** A new user with a run that waits for an event that never comes, so its live connections stay open. */
    async function userWithRun() {
      const { token } = await tp.login();
      const flow = await tp.api(
        'POST',
        '/api/v1/workflows',
        {
          name: 'held open',
          nodes: [
            { id: 'start', type: 'start' },
            { id: 'w', type: 'wait-event', data: { name: 'never' } },
          ],
          edges: [{ source: 'start', target: 'w' }],
        },
        token,
      );
      assert.equal(flow.status, 201, JSON.stringify(flow.body));
      const run = await tp.api('POST', '/api/v1/executions', { workflow_id: flow.body.id, input_data: {} }, token);
      assert.equal(run.status, 201, JSON.stringify(run.body));
      runs.push({ token, runId: run.body.id });
      return { runId: run.body.id as string, auth: { authorization: `Bearer ${token}` }, token };
    }

    const ws = async (runId: string, auth: Record<string, string>) => {
      const r = await connect(`${wsBase(tp)}/${runId}`, auth);
      if (r.live) opened.push(r.live);
      return r;
    };

    async function sse(runId: string, auth: Record<string, string>) {
      const abort = new AbortController();
      const res = await fetch(`${tp.url}/api/v1/executions/${runId}/events/stream`, { headers: auth, signal: abort.signal });
      if (!res.ok) return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
      const ended = (async () => {
        try {
          for await (const _chunk of res.body!);
        } catch {
          // aborted by the test
        }
      })();
      const live: Live = {
        ended,
        close: async () => {
          abort.abort();
          await ended;
        },
      };
      opened.push(live);
      return { status: res.status, live };
    }

    /** Retries `attempt` until it answers `status`: the server notices a closed connection a moment later. */
    async function eventually<T extends { status: number }>(attempt: () => Promise<T>, status: number): Promise<T> {
      let last: T | undefined;
      return until(
        async () => {
          last = await attempt();
          return last.status === status && last;
        },
        () => `status ${status} (last answered ${last?.status})`,
        5_000,
      );
    }

    it('answers 429 to the connection over LIVE_CONNECTIONS_PER_USER, counting sockets and streams, and frees slots on close', async () => {
      const alice = await userWithRun();
      const first = await ws(alice.runId, alice.auth);
      const second = await ws(alice.runId, alice.auth);
      const stream = await sse(alice.runId, alice.auth);
      assert.deepEqual([first.status, second.status, stream.status], [101, 101, 200]);

      assert.equal((await ws(alice.runId, alice.auth)).status, 429);
      const streamOver = await sse(alice.runId, alice.auth);
      assert.equal(streamOver.status, 429);
      assert.equal(streamOver.body?.error.code, 'RATE_LIMITED');
      assert.match(streamOver.body?.error.message ?? '', /live connections/);

      // Another user is not affected, nor are Alice's ordinary requests.
      const bob = await userWithRun();
      assert.equal((await ws(bob.runId, bob.auth)).status, 101);
      assert.equal((await tp.api('GET', '/api/v1/workflows', undefined, alice.token)).status, 200);

      // Closing a socket, or a stream, frees its slot.
      await first.live!.close();
      assert.equal((await eventually(() => ws(alice.runId, alice.auth), 101)).status, 101);
      await stream.live!.close();
      assert.equal((await eventually(() => sse(alice.runId, alice.auth), 200)).status, 200);
    });

    it('takes no slot for a refused connection', async () => {
      const carol = await userWithRun();
      for (let i = 0; i < 5; i++) {
        assert.equal((await ws('00000000-0000-4000-8000-000000000000', carol.auth)).status, 404);
        assert.equal((await sse('00000000-0000-4000-8000-000000000000', carol.auth)).status, 404);
      }
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await sse(carol.runId, carol.auth)).status);
      assert.deepEqual(statuses, [200, 200, 200]);
    });
  });

  describe('rate limit', () => {
    let tp: TestPlatform;
    const LIMIT = 6;
    before(async () => {
      tp = await startTestPlatform({ RUN_WORKER: 'false', RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    });
    after(async () => tp?.stop());

    it('counts WebSocket upgrades in the per-client limit, with Retry-After', async () => {
      const { token } = await tp.login();
      const auth = { authorization: `Bearer ${token}` };
      const missing = `${wsBase(tp)}/00000000-0000-4000-8000-000000000000`;
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT; i++) statuses.push((await connect(missing, auth)).status);
      assert.deepEqual(statuses, Array(LIMIT).fill(404));
      const limited = await connect(missing, auth);
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers?.['retry-after']) >= 1, JSON.stringify(limited.headers));
      // One budget: the user's REST requests are refused too.
      assert.equal((await tp.api('GET', '/api/v1/workflows', undefined, token)).status, 429);
    });
  });
});
