/**
 * Seed 003 through the API: the per-flow WebSocket (`state_sync`, node and run events of every
 * run, ping/pong, request_state, malformed messages), client messages on the per-run socket, a
 * node's latest input and output, and tests of one stored node whose results are kept.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/wait';
import { upgradeStatus } from '../helpers/ws';

/** A socket that keeps every message it received and can wait for the next one that matches. */
interface Client {
  ws: WebSocket;
  messages: any[];
  next(match: (m: any) => boolean, what: string): Promise<any>;
  send(m: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
}

function connect(url: string, headers: Record<string, string>): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const messages: any[] = [];
    let seen = 0;
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: String(reason) })));
    ws.on('message', (m) => messages.push(JSON.parse(String(m))));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        messages,
        closed,
        send: (m) => ws.send(typeof m === 'string' || Buffer.isBuffer(m) ? m : JSON.stringify(m)),
        // Messages are consumed in order: each call looks after the one the previous call returned.
        async next(match, what) {
          return until(
            async () => {
              for (let i = seen; i < messages.length; i++) {
                if (match(messages[i])) {
                  seen = i + 1;
                  return messages[i];
                }
              }
              return undefined;
            },
            () => `${what}; got ${JSON.stringify(messages.slice(seen).map((m) => [m.type, m.node_id ?? m.data?.node_id]))}`,
            20_000,
          );
        },
      }),
    );
  });
}

describe('seed 003: flow sockets, node input/output and stored node tests', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let token: string;
  let other: string;
  let server: http.Server;
  let base: string;
  /** Calls per `key` of `/flaky`, and the Authorization header each call carried. */
  const flaky = new Map<string, string[]>();

  const api = (method: string, path: string, body?: unknown, auth: string | { apiKey: string } = token) => tp.api(method, `/api/v1${path}`, body, auth);
  const bearer = (t = token) => ({ authorization: `Bearer ${t}` });
  const wsUrl = (path: string) => `${tp.url.replace(/^http/, 'ws')}/api/v1/ws/${path}`;
  const createFlow = async (flow: unknown) => {
    const r = await api('POST', '/workflows', flow);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const execute = async (flowId: string, input_data: unknown = {}) => {
    const r = await api('POST', `/workflows/${flowId}/execute`, { input_data });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };

  before(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/flaky') {
        const key = url.searchParams.get('key') ?? '';
        const calls = [...(flaky.get(key) ?? []), String(req.headers.authorization ?? '')];
        flaky.set(key, calls);
        const ok = calls.length >= 3;
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ calls: calls.length }));
        return;
      }
      const status = Number(url.searchParams.get('status') ?? 200);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
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

  describe('WebSocket /api/v1/ws/workflows/{id}', () => {
    it('sends state_sync, then every run\'s node events in order; answers ping and request_state; survives malformed messages', async () => {
      const flowId = await createFlow({
        name: 'seed 003 live',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'a', type: 'noop', data: { value: 'A' } },
          { id: 'w', type: 'wait-event', data: { name: 'go' } },
          { id: 'b', type: 'transform', data: { expression: 'w.result & "!"' } },
        ],
        edges: [
          { source: 'start', target: 'a' },
          { source: 'a', target: 'w' },
          { source: 'w', target: 'b' },
        ],
      });
      const c = await connect(wsUrl(`workflows/${flowId}`), bearer());
      const idle = await c.next((m) => m.type === 'state_sync', 'the state on connect');
      assert.equal(idle.workflow_id, flowId);
      assert.deepEqual(
        { ...idle.state, progress: undefined },
        {
          workflow_id: flowId,
          status: 'idle',
          execution_id: null,
          executing_nodes: {},
          completed_nodes: [],
          completed_count: 0,
          failed_nodes: [],
          skipped_nodes: [],
          progress: undefined,
          executions: [],
        },
      );

      const runId = await execute(flowId);
      const started = await c.next((m) => m.type === 'execution_started', 'the run to start');
      assert.deepEqual([started.workflow_id, started.execution_id], [flowId, runId]);
      const aStarted = await c.next((m) => m.type === 'node_started' && m.node_id === 'a', 'a to start');
      assert.deepEqual(
        { type: aStarted.type, workflow_id: aStarted.workflow_id, node_id: aStarted.node_id, node_type: aStarted.node_type },
        { type: 'node_started', workflow_id: flowId, node_id: 'a', node_type: 'noop' },
      );
      const aDone = await c.next((m) => m.type === 'node_completed' && m.node_id === 'a', 'a to complete');
      assert.equal(aDone.route, 'default');
      assert.deepEqual(aDone.output, { result: 'A' });
      assert.equal(aDone.execution_id, runId);
      await c.next((m) => m.type === 'node_waiting' && m.node_id === 'w', 'w to wait');

      c.send({ type: 'ping', id: 7 });
      const pong = await c.next((m) => m.type === 'pong', 'pong');
      assert.deepEqual([pong.workflow_id, pong.id], [flowId, 7]);

      c.send({ type: 'request_state' });
      const sync = await c.next((m) => m.type === 'state_sync', 'the requested state');
      assert.equal(sync.state.execution_id, runId);
      assert.equal(sync.state.status, 'waiting');
      assert.deepEqual(Object.keys(sync.state.executing_nodes), ['w']);
      assert.equal(sync.state.executing_nodes.w.node_type, 'wait-event');
      assert.equal(sync.state.executing_nodes.w.status, 'waiting');
      assert.ok(sync.state.executing_nodes.w.duration_seconds >= 0);
      assert.deepEqual(
        sync.state.completed_nodes.map((n: any) => [n.node_id, n.node_type, n.route]),
        [
          ['start', 'start', 'default'],
          ['a', 'noop', 'default'],
        ],
      );
      assert.equal(sync.state.completed_count, 2);
      for (const n of sync.state.completed_nodes) assert.ok(n.completed_at && n.duration_seconds >= 0, JSON.stringify(n));
      assert.deepEqual(sync.state.executions.map((r: any) => [r.execution_id, r.status]), [[runId, 'waiting']]);

      // Malformed messages get an error answer; the socket stays open and keeps serving.
      for (const bad of ['not json', '[]', '{"type": 5}', '{"type": "fly", "id": "x1"}', Buffer.from([0xff, 0x00])]) {
        c.ws.send(bad, { binary: Buffer.isBuffer(bad) });
        const err = await c.next((m) => m.type === 'error', `an error for ${String(bad)}`);
        assert.equal(err.error.code, 'BAD_REQUEST');
        assert.equal(err.workflow_id, flowId);
      }
      assert.equal(c.messages.at(-1).id, undefined);
      assert.ok(c.messages.some((m) => m.type === 'error' && m.id === 'x1' && /unknown message type "fly"/.test(m.error.message)));
      c.send({ type: 'ping' });
      await c.next((m) => m.type === 'pong', 'pong after malformed messages');

      assert.equal((await api('POST', `/executions/${runId}/events`, { name: 'go', data: 'hi' })).status, 202);
      const bDone = await c.next((m) => m.type === 'node_completed' && m.node_id === 'b', 'b to complete');
      assert.deepEqual(bDone.output, { result: 'hi!' });
      const end = await c.next((m) => m.type === 'workflow_completed', 'the run to complete');
      assert.deepEqual([end.workflow_id, end.execution_id, end.status], [flowId, runId, 'completed']);

      // Every node's events come in order: started (or waiting) before completed, a before w before b.
      const order = c.messages.filter((m) => m.node_id).map((m) => `${m.type}:${m.node_id}`);
      const at = (e: string) => order.indexOf(e);
      assert.ok(at('node_started:a') < at('node_completed:a'));
      assert.ok(at('node_completed:a') < at('node_waiting:w'));
      assert.ok(at('node_waiting:w') < at('node_completed:w'));
      assert.ok(at('node_completed:w') < at('node_started:b') && at('node_started:b') < at('node_completed:b'));
      assert.ok(c.messages.indexOf(end) > c.messages.indexOf(bDone));

      // The socket outlives the run: the next run's events arrive on it too, and so does its end.
      const second = await execute(flowId);
      await c.next((m) => m.type === 'node_waiting' && m.execution_id === second, 'the second run to wait');
      assert.equal((await api('POST', `/executions/${second}/terminate`)).status, 200);
      const cancelled = await c.next((m) => m.type === 'workflow_cancelled' && m.execution_id === second, 'the terminated run to end');
      assert.equal(cancelled.status, 'terminated');
      c.ws.close();
      await c.closed;

      // A new socket's state shows the newest run, finished.
      const later = await connect(wsUrl(`workflows/${flowId}`), bearer());
      const last = await later.next((m) => m.type === 'state_sync', 'the state of a flow that ran');
      assert.equal(last.state.execution_id, second);
      assert.equal(last.state.status, 'terminated');
      assert.deepEqual(last.state.executing_nodes, {});
      later.ws.close();
    });

    it('reports failing nodes and runs with the error text, as the seed does', async () => {
      const flowId = await createFlow({
        name: 'seed 003 fails',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'fetch', type: 'http-request', data: { url: `${base}/?status=404` }, retry: { max_attempts: 1 } },
        ],
        edges: [{ source: 'start', target: 'fetch' }],
      });
      const c = await connect(wsUrl(`workflows/${flowId}`), bearer());
      await c.next((m) => m.type === 'state_sync', 'state');
      const runId = await execute(flowId);
      const failed = await c.next((m) => m.type === 'node_failed', 'the node to fail');
      assert.deepEqual([failed.node_id, failed.node_type, failed.execution_id], ['fetch', 'http-request', runId]);
      assert.equal(typeof failed.error, 'string');
      assert.match(failed.error, /404/);
      const end = await c.next((m) => m.type === 'workflow_failed', 'the run to fail');
      assert.equal(typeof end.error, 'string');
      c.send({ type: 'request_state' });
      const sync = await c.next((m) => m.type === 'state_sync', 'state after the failure');
      assert.equal(sync.state.status, 'failed');
      assert.deepEqual(sync.state.failed_nodes.map((n: any) => [n.node_id, /404/.test(n.error)]), [['fetch', true]]);
      c.ws.close();
    });

    it('refuses bad credentials, a missing read scope and other users\' flows; closes when the flow is deleted', async () => {
      const flowId = await createFlow({ name: 'seed 003 refusals', nodes: [{ id: 'start', type: 'start' }], edges: [] });
      assert.equal(await upgradeStatus(wsUrl(`workflows/${flowId}`)), 401);
      assert.equal(await upgradeStatus(wsUrl(`workflows/${flowId}?token=nonsense`)), 401);
      assert.equal(await upgradeStatus(wsUrl(`workflows/${flowId}`), bearer(other)), 404);
      assert.equal(await upgradeStatus(wsUrl('workflows/not-a-uuid'), bearer()), 404);
      assert.equal(await upgradeStatus(wsUrl('workflows/%E0%A4%A'), bearer()), 404);
      assert.equal(await upgradeStatus(wsUrl('workflows/00000000-0000-4000-8000-000000000000'), bearer()), 404);
      const key = await api('POST', '/auth/api-keys', { name: 'no read', scopes: ['execute'] });
      assert.equal(await upgradeStatus(wsUrl(`workflows/${flowId}`), { 'x-api-key': key.body.key }), 403);
      assert.equal(await upgradeStatus(wsUrl(`workflows/${flowId}?token=${encodeURIComponent(token)}`)), 101);

      // A plain GET is told to upgrade, after the same checks.
      const plain = await api('GET', `/ws/workflows/${flowId}`);
      assert.equal(plain.status, 400);
      assert.match(plain.body.error.message, /WebSocket/);
      assert.equal((await api('GET', `/ws/workflows/${flowId}`, undefined, other)).status, 404);

      const c = await connect(wsUrl(`workflows/${flowId}`), bearer());
      await c.next((m) => m.type === 'state_sync', 'state');
      assert.equal((await api('DELETE', `/workflows/${flowId}`)).status, 204);
      const closed = await c.closed;
      assert.deepEqual(closed, { code: 1000, reason: 'workflow deleted' });
    });
  });

  describe('client messages on WebSocket /api/v1/ws/executions/{id}', () => {
    it('answers ping with pong and request_state with a fresh state_sync carrying the last cursor; malformed messages with errors', async () => {
      const flowId = await createFlow({
        name: 'run socket messages',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'w', type: 'wait-event', data: { name: 'go' } },
        ],
        edges: [{ source: 'start', target: 'w' }],
      });
      const runId = await execute(flowId);
      await waitForRun(tp, token, runId, ['waiting']);
      const c = await connect(wsUrl(`executions/${runId}`), bearer());
      const first = await c.next((m) => m.type === 'state_sync', 'the state on connect');
      c.send({ type: 'ping', id: 'p1' });
      const pong = await c.next((m) => m.type === 'pong', 'pong');
      assert.deepEqual([pong.execution_id, pong.id], [runId, 'p1']);
      c.send({ type: 'request_state', id: 2 });
      const sync = await c.next((m) => m.type === 'state_sync', 'the requested state');
      assert.equal(sync.id, 2);
      assert.equal(sync.execution_id, runId);
      assert.equal(sync.data.status, 'waiting');
      assert.deepEqual(sync.data.current_nodes, ['w']);
      assert.equal(sync.data.execution.id, runId);
      assert.deepEqual(Object.keys(sync.data).sort(), Object.keys(first.data).sort());
      assert.equal(sync.cursor, c.messages.filter((m) => m.cursor && m !== sync).at(-1).cursor);
      c.send('{');
      assert.equal((await c.next((m) => m.type === 'error', 'an error')).error.code, 'BAD_REQUEST');
      await api('POST', `/executions/${runId}/events`, { name: 'go' });
      await c.next((m) => m.type === 'execution_completed', 'the end');
      assert.equal((await c.closed).code, 1000);
    });
  });

  describe('GET /workflows/{id}/nodes/{node_id}/input and /output', () => {
    let flowId: string;
    before(async () => {
      flowId = await createFlow({
        name: 'node io',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 't', type: 'transform', data: { expression: 'input.n * 2' } },
          { id: 'h', type: 'noop', data: { value: '{{ prev.result + 1 }}' } },
        ],
        edges: [
          { source: 'start', target: 't' },
          { source: 't', target: 'h' },
        ],
      });
    });

    it('answers ran:false with nulls before the node ran, then the newest run\'s step', async () => {
      const before = await api('GET', `/workflows/${flowId}/nodes/h/input`);
      assert.equal(before.status, 200);
      assert.deepEqual(before.body, {
        workflow_id: flowId,
        node_id: 'h',
        node_type: 'noop',
        ran: false,
        input_data: null,
        rendered_input: null,
        source: null,
        execution_id: null,
        test_id: null,
        status: null,
        at: null,
      });
      assert.equal((await api('GET', `/workflows/${flowId}/nodes/h/output`)).body.output_data, null);

      const runId = await execute(flowId, { n: 21 });
      const run = await waitForRun(tp, token, runId);
      const step = run.steps.find((s: any) => s.node_id === 'h');
      const input = await api('GET', `/workflows/${flowId}/nodes/h/input`);
      assert.equal(input.status, 200);
      // What reached h (t's output, as the seed's "aggregated input"), and h's rendered data as the run detail shows it.
      assert.deepEqual(input.body.input_data, { result: 42 });
      assert.deepEqual(input.body.rendered_input, step.input);
      assert.deepEqual(step.input, { value: 43 });
      assert.deepEqual([input.body.ran, input.body.source, input.body.execution_id, input.body.status], [true, 'execution', runId, 'completed']);
      assert.equal(input.body.at, step.started_at);
      const output = await api('GET', `/workflows/${flowId}/nodes/h/output`);
      assert.deepEqual(output.body.output_data, { result: 43 });
      assert.deepEqual([output.body.error, output.body.port, output.body.at], [null, 'default', step.finished_at]);
    });

    it('answers 404 for unknown flows and nodes, and for other users; 403 without read', async () => {
      const paths = [
        '/workflows/00000000-0000-4000-8000-000000000000/nodes/h/input',
        '/workflows/not-a-uuid/nodes/h/output',
        `/workflows/${flowId}/nodes/nope/input`,
        `/workflows/${flowId}/nodes/${'x'.repeat(65)}/output`,
        `/workflows/${flowId}/nodes/bad%20id/input`,
      ];
      for (const p of paths) {
        const r = await api('GET', p);
        assert.equal(r.status, 404, p);
        assert.equal(r.body.error.code, 'NOT_FOUND');
      }
      assert.equal((await api('GET', `/workflows/${flowId}/nodes/h/input`, undefined, other)).status, 404);
      const key = await api('POST', '/auth/api-keys', { name: 'exec only', scopes: ['execute'] });
      assert.equal((await api('GET', `/workflows/${flowId}/nodes/h/output`, undefined, { apiKey: key.body.key })).status, 403);
      assert.equal((await tp.api('GET', `/api/v1/workflows/${flowId}/nodes/h/output`)).status, 401);
    });
  });

  describe('POST /workflows/{id}/nodes/{node_id}/test', () => {
    it('runs the stored node with input_data as its upstream output and form_values over its data, and keeps the result for /output', async () => {
      const flowId = await createFlow({
        name: 'stored node test',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 't', type: 'transform', data: { expression: 'input.n * 2' } },
          { id: 'h', type: 'noop', data: { value: '{{ prev.result + 1 }}' } },
        ],
        edges: [
          { source: 'start', target: 't' },
          { source: 't', target: 'h' },
        ],
      });
      const r = await api('POST', `/workflows/${flowId}/nodes/h/test`, { node_id: 'h', input_data: { result: 100 }, session_id: 's-1' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.success, true);
      assert.deepEqual(r.body.output, { result: 101 });
      assert.deepEqual(r.body.input_data, { result: 100 });
      assert.deepEqual(r.body.rendered_input, { value: 101 });
      assert.deepEqual([r.body.node_id, r.body.node_type, r.body.workflow_id, r.body.session_id], ['h', 'noop', flowId, 's-1']);
      assert.deepEqual(r.body.form_values, {});
      assert.match(r.body.temporal.workflow_id, /^node-test-/);

      const output = await api('GET', `/workflows/${flowId}/nodes/h/output`);
      assert.deepEqual([output.body.source, output.body.test_id, output.body.output_data], ['test', r.body.id, { result: 101 }]);
      const input = await api('GET', `/workflows/${flowId}/nodes/h/input`);
      assert.deepEqual([input.body.source, input.body.input_data], ['test', { result: 100 }]);

      // form_values change the node for this test only.
      const fixed = await api('POST', `/workflows/${flowId}/nodes/h/test`, { form_values: { value: 'fixed' }, input_data: { result: 1 } });
      assert.deepEqual([fixed.body.success, fixed.body.output, fixed.body.form_values], [true, { result: 'fixed' }, { value: 'fixed' }]);
      const stored = await api('GET', `/workflows/${flowId}`);
      assert.equal(stored.body.nodes.find((n: any) => n.id === 'h').data.value, '{{ prev.result + 1 }}');
      assert.equal(stored.body.version, 1, 'a test is not an edit');

      // A run newer than the test wins; a test without input_data takes the run's context.
      const runId = await execute(flowId, { n: 5 });
      await waitForRun(tp, token, runId);
      const fromRun = await api('GET', `/workflows/${flowId}/nodes/h/output`);
      assert.deepEqual([fromRun.body.source, fromRun.body.execution_id, fromRun.body.output_data], ['execution', runId, { result: 11 }]);
      const inContext = await api('POST', `/workflows/${flowId}/nodes/h/test`, {});
      assert.deepEqual([inContext.body.input_data, inContext.body.output], [{ result: 10 }, { result: 11 }]);
      // A node without upstream nodes takes input_data as the run's input.
      const root = await api('POST', `/workflows/${flowId}/nodes/start/test`, { input_data: { n: 3 } });
      assert.deepEqual(root.body.output, { result: { n: 3 } });
      const t = await api('POST', `/workflows/${flowId}/nodes/t/test`, {});
      assert.deepEqual(t.body.output, { result: 10 }, 'in the context of the newest run: input.n is 5');
      assert.equal(t.body.success, true);

      // Only the newest results of a node are kept.
      const kept = await tp.platform.repos.nodeTests.list(flowId, 'h', 100);
      assert.deepEqual(kept.map((k) => k.id).slice(0, 1), [inContext.body.id]);
    });

    it('runs the node with its credential and its own retry policy (not one attempt as /nodes/test)', async () => {
      const cred = await api('POST', '/credentials', { name: 'flaky token', type: 'http_bearer', data: { token: 'seed-003-secret' } });
      assert.equal(cred.status, 201, JSON.stringify(cred.body));
      const flowId = await createFlow({
        name: 'stored node retry',
        nodes: [
          { id: 'start', type: 'start' },
          {
            id: 'fetch',
            type: 'http-request',
            data: { url: `${base}/flaky?key=retry`, credential: 'flaky token' },
            retry: { max_attempts: 3, initial_interval_ms: 100, backoff_coefficient: 1 },
          },
        ],
        edges: [{ source: 'start', target: 'fetch' }],
      });
      const r = await api('POST', `/workflows/${flowId}/nodes/fetch/test`, { form_values: {}, input_data: { result: 'unused' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      // Two 503s, then the third attempt succeeds.
      assert.equal(r.body.success, true, JSON.stringify(r.body));
      assert.equal(r.body.attempt, 3);
      assert.deepEqual(r.body.output.result, { calls: 3 });
      assert.deepEqual(flaky.get('retry'), Array(3).fill('Bearer seed-003-secret'));
      assert.ok(!JSON.stringify(r.body).includes('seed-003-secret'), 'the secret is never answered');
    });

    it('reports a failing node with success:false (still 200), and refuses bad requests with 4xx', async () => {
      const flowId = await createFlow({
        name: 'stored node refusals',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'x', type: 'noop' },
          { id: 'y', type: 'noop' },
          { id: 'join', type: 'transform', data: { expression: 'prev.x.result & prev.y.result' } },
          { id: 'fail', type: 'http-request', data: { url: `${base}/?status=404` }, retry: { max_attempts: 1 } },
          { id: 'ok', type: 'approval' },
        ],
        edges: [
          { source: 'start', target: 'x' },
          { source: 'start', target: 'y' },
          { source: 'x', target: 'join' },
          { source: 'y', target: 'join' },
          { source: 'start', target: 'fail' },
          { source: 'start', target: 'ok' },
        ],
      });
      const failed = await api('POST', `/workflows/${flowId}/nodes/fail/test`, {});
      assert.equal(failed.status, 200);
      assert.deepEqual([failed.body.success, failed.body.output], [false, null]);
      assert.match(failed.body.error.message, /404/);
      const out = await api('GET', `/workflows/${flowId}/nodes/fail/output`);
      assert.deepEqual([out.body.source, out.body.status], ['test', 'failed']);
      assert.match(out.body.error.message, /404/);

      // Several upstream nodes: input_data is keyed by them.
      const joined = await api('POST', `/workflows/${flowId}/nodes/join/test`, { input_data: { x: { result: 'a' }, y: { result: 'b' } } });
      assert.deepEqual([joined.body.success, joined.body.output], [true, { result: 'ab' }]);
      const strangers = await api('POST', `/workflows/${flowId}/nodes/join/test`, { input_data: { z: 1 } });
      assert.equal(strangers.status, 422);
      assert.match(strangers.body.error.details.input_data, /x, y/);
      assert.equal((await api('POST', `/workflows/${flowId}/nodes/join/test`, { input_data: [1] })).status, 422);

      const cases: [string, unknown, number][] = [
        [`/workflows/${flowId}/nodes/ok/test`, {}, 422],
        [`/workflows/${flowId}/nodes/fail/test`, { form_values: { url: 42 } }, 422],
        [`/workflows/${flowId}/nodes/fail/test`, { form_values: 'x' }, 422],
        [`/workflows/${flowId}/nodes/fail/test`, { node_id: 'x' }, 422],
        [`/workflows/${flowId}/nodes/fail/test`, { timeout_ms: 5 }, 422],
        [`/workflows/${flowId}/nodes/fail/test`, { session_id: 's'.repeat(201) }, 422],
        [`/workflows/${flowId}/nodes/nope/test`, {}, 404],
        ['/workflows/00000000-0000-4000-8000-000000000000/nodes/x/test', {}, 404],
      ];
      for (const [path, body, status] of cases) {
        const res = await api('POST', path, body);
        assert.equal(res.status, status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      }
      const badJson = await fetch(`${tp.url}/api/v1/workflows/${flowId}/nodes/x/test`, {
        method: 'POST',
        headers: { ...bearer(), 'content-type': 'application/json' },
        body: '{"form_values":',
      });
      assert.equal(badJson.status, 400);
      assert.equal((await api('POST', `/workflows/${flowId}/nodes/x/test`, {}, other)).status, 404);
      const readOnly = await api('POST', '/auth/api-keys', { name: 'read only', scopes: ['read'] });
      assert.equal((await api('POST', `/workflows/${flowId}/nodes/x/test`, {}, { apiKey: readOnly.body.key })).status, 403);
    });
  });
});

describe('seed 003: the flow socket shares the live connection limit and the rate budget', function () {
  this.timeout(60_000);
  let tp: TestPlatform;
  before(async () => {
    tp = await startTestPlatform({ LIVE_CONNECTIONS_PER_USER: '2', RATE_LIMIT_PER_MINUTE: '20' });
  });
  after(async () => tp?.stop());

  it('refuses a third live connection with 429, and answers request_state over the budget with a RATE_LIMITED error, staying open', async () => {
    const { token } = await tp.login();
    const flow = await tp.api('POST', '/api/v1/workflows', { name: 'limits', nodes: [{ id: 'start', type: 'start' }], edges: [] }, token);
    assert.equal(flow.status, 201, JSON.stringify(flow.body));
    const url = `${tp.url.replace(/^http/, 'ws')}/api/v1/ws/workflows/${flow.body.id}`;
    const auth = { authorization: `Bearer ${token}` };
    const first = await connect(url, auth);
    const second = await connect(url, auth);
    // Flow sockets and run sockets count together.
    assert.equal(await upgradeStatus(`${tp.url.replace(/^http/, 'ws')}/api/v1/ws/executions/00000000-0000-4000-8000-000000000000`, auth), 429);
    assert.equal(await upgradeStatus(url, auth), 429);
    second.ws.close();
    await second.closed;

    await first.next((m) => m.type === 'state_sync', 'the first state');
    for (let i = 0; i < 20; i++) first.send({ type: 'request_state', id: i });
    const limited = await first.next((m) => m.type === 'error', 'a rate limited request_state');
    assert.equal(limited.error.code, 'RATE_LIMITED');
    assert.ok(limited.error.details.retry_after_s >= 1);
    assert.equal(typeof limited.id, 'number');
    first.send({ type: 'ping' });
    await first.next((m) => m.type === 'pong', 'pong while rate limited');
    assert.ok(first.messages.filter((m) => m.type === 'state_sync').length > 1, 'requests within the budget were answered');
    first.ws.close();
  });
});
