import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/wait';

const STEP_FIELDS = [
  'attempt',
  'duration_ms',
  'error',
  'finished_at',
  'input',
  'label',
  'node_id',
  'node_type',
  'output',
  'port',
  'reused_from',
  'started_at',
  'status',
];

const helloFlow = {
  name: 'hello runs',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'greet', type: 'noop', label: 'Greet', data: { value: 'Hello, {{ input.name }}' } },
    { id: 'end', type: 'end', data: { output: { greeting: '{{ greet.result }}' } } },
  ],
  edges: [
    { source: 'start', target: 'greet' },
    { source: 'greet', target: 'end' },
  ],
};

/** start → a (slow) → b → end: pausing while `a` runs keeps `b` from starting. */
const slowFlow = (ms: number) => ({
  name: `slow ${ms}`,
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'a', type: 'noop', data: { value: 'A', delay_ms: ms } },
    { id: 'b', type: 'noop', data: { value: 'B' } },
    { id: 'end', type: 'end', data: { output: '{{ b.result }}' } },
  ],
  edges: [
    { source: 'start', target: 'a' },
    { source: 'a', target: 'b' },
    { source: 'b', target: 'end' },
  ],
});

const eventFlow = {
  name: 'waits for payment',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'wait', type: 'wait-event', data: { name: 'payment.received' } },
    { id: 'end', type: 'end', data: { output: { paid: '{{ wait.result.amount }}' } } },
  ],
  edges: [
    { source: 'start', target: 'wait' },
    { source: 'wait', target: 'end' },
  ],
};

describe('executions API: start, list, inspect, steer, events, logs', function () {
  this.timeout(90_000);
  let tp: TestPlatform;
  let token: string;
  let other: string;
  let server: http.Server;
  let base: string;
  const ids: Record<string, string> = {};

  const api = (
    method: string,
    path: string,
    body?: unknown,
    auth: string | { apiKey: string } = token,
    headers?: Record<string, string>,
  ) => tp.api(method, `/api/v1${path}`, body, auth, headers);
  const createFlow = async (flow: unknown, as = token) => {
    const r = await api('POST', '/workflows', flow, as);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const start = async (workflowId: string, input_data: unknown = {}, as = token) => {
    const r = await api('POST', '/executions', { workflow_id: workflowId, input_data }, as);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const stepOf = async (id: string, nodeId: string) =>
    (await api('GET', `/executions/${id}`)).body.steps?.find((s: any) => s.node_id === nodeId);

  before(async () => {
    server = http.createServer((req, res) => {
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    tp = await startTestPlatform();
    token = (await tp.login()).token;
    other = (await tp.login()).token;
    ids.hello = await createFlow(helloFlow);
    ids.events = await createFlow(eventFlow);
  });
  after(async () => {
    await tp?.stop();
    server?.close();
  });

  describe('POST /executions', () => {
    it('starts a run asynchronously: 201 with the execution, then it completes with output and steps', async () => {
      const r = await api('POST', '/executions', { workflow_id: ids.hello, input_data: { name: 'Ada' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.workflow_id, ids.hello);
      assert.equal(r.body.workflow_version, 1);
      assert.equal(r.body.trigger.type, 'api');
      assert.ok(['pending', 'running'].includes(r.body.status));
      assert.equal(r.body.temporal.workflow_id, `run-${r.body.id}`);
      const run = await waitForRun(tp, token, r.body.id);
      assert.equal(run.status, 'completed');
      assert.deepEqual(run.output_data, { greeting: 'Hello, Ada' });
    });

    it('waits with wait:true: 200 with the output when done in time, 202 with the running run otherwise', async () => {
      const done = await api('POST', '/executions', {
        workflow_id: ids.hello,
        input_data: { name: 'Bo' },
        wait: true,
        timeout_ms: 20_000,
      });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.status, 'completed');
      assert.deepEqual(done.body.output_data, { greeting: 'Hello, Bo' });

      const waiting = await api('POST', '/executions', {
        workflow_id: ids.events,
        wait: true,
        timeout_ms: 300,
      });
      assert.equal(waiting.status, 202, JSON.stringify(waiting.body));
      // The run reported that its only running node waits for an event.
      assert.equal(waiting.body.status, 'waiting');
      assert.equal((await api('POST', `/executions/${waiting.body.id}/terminate`)).status, 200);
    });

    it('returns the same execution for the same Idempotency-Key and caller; another caller gets their own', async () => {
      const key = { 'Idempotency-Key': 'order-42' };
      const first = await api(
        'POST',
        '/executions',
        { workflow_id: ids.hello, input_data: { name: 'Key' } },
        token,
        key,
      );
      assert.equal(first.status, 201);
      const again = await api(
        'POST',
        '/executions',
        { workflow_id: ids.hello, input_data: { name: 'Key' } },
        token,
        key,
      );
      assert.equal(again.status, 200);
      assert.equal(again.body.id, first.body.id);

      const theirFlow = await createFlow(helloFlow, other);
      const theirs = await api(
        'POST',
        '/executions',
        { workflow_id: theirFlow, input_data: { name: 'Key' } },
        other,
        key,
      );
      assert.equal(theirs.status, 201);
      assert.notEqual(theirs.body.id, first.body.id);

      // The same key for a different workflow of the same caller is a conflict, not someone else's run.
      const elsewhere = await api('POST', '/executions', { workflow_id: ids.events }, token, key);
      assert.equal(elsewhere.status, 409);
      assert.equal(elsewhere.body.error.code, 'CONFLICT');
    });

    it('rejects bad input with 4xx and the error body', async () => {
      const missing = await api('POST', '/executions', { input_data: {} });
      assert.equal(missing.status, 422);
      assert.equal(missing.body.error.code, 'VALIDATION_ERROR');
      assert.ok(missing.body.error.details.workflow_id);
      assert.equal((await api('POST', '/executions', { workflow_id: ids.hello, wait: 'yes' })).status, 422);
      assert.equal((await api('POST', '/executions', { workflow_id: ids.hello, version: 9 })).status, 404);
      assert.equal(
        (await api('POST', '/executions', { workflow_id: '00000000-0000-4000-8000-000000000000' })).status,
        404,
      );
      assert.equal((await api('POST', '/executions', { workflow_id: ids.hello }, other)).status, 404);
      const longKey = await api('POST', '/executions', { workflow_id: ids.hello }, token, {
        'Idempotency-Key': 'k'.repeat(201),
      });
      assert.equal(longKey.status, 400);
      const malformed = await fetch(`${tp.url}/api/v1/executions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{"workflow_id": ',
      });
      assert.equal(malformed.status, 400);
    });

    it('needs the execute scope: a read-only API key gets 403 but may list', async () => {
      const key = await api('POST', '/auth/api-keys', { name: 'ro', scopes: ['read'] });
      assert.equal(key.status, 201);
      const denied = await api('POST', '/executions', { workflow_id: ids.hello }, { apiKey: key.body.key });
      assert.equal(denied.status, 403);
      assert.equal(denied.body.error.code, 'FORBIDDEN');
      assert.equal((await api('GET', '/executions', undefined, { apiKey: key.body.key })).status, 200);
      assert.equal((await tp.api('GET', '/api/v1/executions')).status, 401);
    });
  });

  describe('GET /executions, /executions/{id}, /status', () => {
    let listFlow: string;
    let runIds: string[];

    before(async () => {
      listFlow = await createFlow({ ...helloFlow, name: 'Zebra listing' });
      runIds = [];
      for (const name of ['x', 'y', 'z']) runIds.push(await start(listFlow, { name }));
      for (const id of runIds) await waitForRun(tp, token, id);
    });

    it('lists runs newest first with workflow_id, status, search, since/until filters and pagination', async () => {
      const page = await api('GET', `/executions?workflow_id=${listFlow}&limit=2`);
      assert.equal(page.status, 200);
      assert.equal(page.body.total, 3);
      assert.equal(page.body.limit, 2);
      assert.equal(page.body.skip, 0);
      assert.deepEqual(
        page.body.items.map((e: any) => e.id),
        [runIds[2], runIds[1]],
      );
      const next = await api('GET', `/executions?workflow_id=${listFlow}&limit=2&skip=2`);
      assert.deepEqual(
        next.body.items.map((e: any) => e.id),
        [runIds[0]],
      );
      assert.equal((await api('GET', `/executions?workflow_id=${listFlow}&status=completed`)).body.total, 3);
      assert.equal((await api('GET', `/executions?workflow_id=${listFlow}&status=failed`)).body.total, 0);
      assert.equal((await api('GET', '/executions?search=zebra')).body.total, 3);
      assert.equal(
        (await api('GET', `/executions?search=${runIds[1].slice(0, 13)}`)).body.items[0].id,
        runIds[1],
      );
      const future = new Date(Date.now() + 60_000).toISOString();
      assert.equal((await api('GET', `/executions?workflow_id=${listFlow}&since=${future}`)).body.total, 0);
      assert.equal((await api('GET', `/executions?workflow_id=${listFlow}&until=${future}`)).body.total, 3);
      // Other users never see these runs.
      assert.equal((await api('GET', `/executions?workflow_id=${listFlow}`, undefined, other)).body.total, 0);
    });

    it('answers 400 for malformed query parameters', async () => {
      for (const q of [
        'limit=0',
        'limit=101',
        'skip=-1',
        'status=bogus',
        'workflow_id=nope',
        'since=yesterday',
      ]) {
        const r = await api('GET', `/executions?${q}`);
        assert.equal(r.status, 400, q);
        assert.equal(r.body.error.code, 'BAD_REQUEST');
      }
    });

    it('returns the detail with every step field, and the status with progress', async () => {
      const detail = await api('GET', `/executions/${runIds[0]}`);
      assert.equal(detail.status, 200);
      assert.equal(detail.body.steps.length, 3);
      for (const s of detail.body.steps) assert.deepEqual(Object.keys(s).sort(), STEP_FIELDS);
      // A run without loops has no item steps, and says so with an empty page.
      assert.deepEqual(detail.body.item_steps, { items: [], total: 0, skip: 0, limit: 100, by_status: {} });
      const greet = detail.body.steps.find((s: any) => s.node_id === 'greet');
      assert.equal(greet.label, 'Greet');
      assert.equal(greet.node_type, 'noop');
      assert.equal(greet.status, 'completed');
      assert.equal(greet.attempt, 1);
      assert.deepEqual(greet.output, { result: 'Hello, x' });
      assert.equal(greet.error, null);
      assert.ok(greet.duration_ms >= 0 && greet.started_at && greet.finished_at);

      const status = await api('GET', `/executions/${runIds[0]}/status`);
      assert.equal(status.status, 200);
      assert.deepEqual(status.body, {
        status: 'completed',
        paused: false,
        progress: { completed: 3, total: 3 },
        current_nodes: [],
      });
    });

    it('answers 404 for unknown ids and other users\u2019 runs on every route', async () => {
      const id = runIds[0];
      for (const [m, p] of [
        ['GET', `/executions/${id}`],
        ['GET', `/executions/${id}/status`],
        ['GET', `/executions/${id}/logs`],
        ['GET', `/executions/${id}/logs/summary`],
        ['GET', `/executions/${id}/events/stream`],
        ['POST', `/executions/${id}/pause`],
        ['POST', `/executions/${id}/cancel`],
        ['POST', `/executions/${id}/retry`],
        ['POST', `/executions/${id}/events`],
      ] as const) {
        const r = await api(
          m,
          p,
          p.endsWith('/events') ? { name: 'x' } : m === 'POST' ? {} : undefined,
          other,
        );
        assert.equal(r.status, 404, `${m} ${p}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'NOT_FOUND');
      }
      assert.equal((await api('GET', '/executions/00000000-0000-4000-8000-000000000000')).status, 404);
      assert.equal((await api('GET', '/executions/not-a-uuid/status')).status, 404);
    });
  });

  describe('pause, resume, cancel, terminate', () => {
    it('pauses between nodes, reports paused, refuses a second pause, and resumes to completion', async () => {
      const flow = await createFlow(slowFlow(1500));
      const id = await start(flow);
      await until(async () => (await stepOf(id, 'a'))?.status === 'running' || undefined, 'a to run');
      const paused = await api('POST', `/executions/${id}/pause`);
      assert.equal(paused.status, 200, JSON.stringify(paused.body));
      assert.equal(paused.body.status, 'paused');
      assert.equal((await api('POST', `/executions/${id}/pause`)).status, 409);

      // `a` finishes, but `b` does not start while paused.
      await until(async () => (await stepOf(id, 'a'))?.status === 'completed' || undefined, 'a to complete');
      await new Promise((r) => setTimeout(r, 500));
      const status = await api('GET', `/executions/${id}/status`);
      assert.equal(status.body.status, 'paused');
      assert.equal(status.body.paused, true);
      assert.equal((await stepOf(id, 'b')).status, 'pending');
      assert.equal((await api('GET', `/executions?status=paused&workflow_id=${flow}`)).body.total, 1);

      const resumed = await api('POST', `/executions/${id}/resume`);
      assert.equal(resumed.status, 200);
      assert.equal(resumed.body.status, 'running');
      const run = await waitForRun(tp, token, id);
      assert.equal(run.status, 'completed');
      assert.equal(run.output_data, 'B');
    });

    it('answers 409 for resume when not paused and for anything on a finished run', async () => {
      const id = await start(ids.events);
      await until(async () => (await stepOf(id, 'wait'))?.status === 'waiting' || undefined, 'wait node');
      const resume = await api('POST', `/executions/${id}/resume`);
      assert.equal(resume.status, 409);
      assert.equal(resume.body.error.code, 'CONFLICT');
      const terminated = await api('POST', `/executions/${id}/terminate`);
      assert.equal(terminated.status, 200);
      assert.equal(terminated.body.status, 'terminated');
      for (const action of ['pause', 'resume', 'cancel', 'terminate']) {
        const r = await api('POST', `/executions/${id}/${action}`);
        assert.equal(r.status, 409, action);
        assert.match(r.body.error.message, /terminated/);
      }
      assert.equal((await api('POST', `/executions/${id}/events`, { name: 'payment.received' })).status, 409);
    });

    it('cancels a run and the cancellation reaches the running activity', async () => {
      const flow = await createFlow(slowFlow(30_000));
      const id = await start(flow);
      await until(async () => (await stepOf(id, 'a'))?.status === 'running' || undefined, 'a to run');
      const t0 = Date.now();
      const r = await api('POST', `/executions/${id}/cancel`);
      assert.equal(r.status, 200);
      assert.equal(r.body.status, 'cancelled');
      // The noop heartbeats, so it learns of the cancellation and stops long before its 30 s delay.
      const log = await until(async () => {
        const logs = await api('GET', `/executions/${id}/logs?node_id=a`);
        return logs.body.logs.find((l: any) => /cancelled/.test(l.message));
      }, 'the activity to see the cancellation');
      assert.equal(log.level, 'warn');
      assert.ok(Date.now() - t0 < 15_000);
      assert.equal((await api('GET', `/executions/${id}`)).body.status, 'cancelled');
    });

    it('needs the execute scope to steer a run', async () => {
      const key = await api('POST', '/auth/api-keys', { name: 'read-only', scopes: ['read'] });
      const id = await start(ids.events);
      for (const action of ['pause', 'resume', 'cancel', 'terminate']) {
        assert.equal(
          (await api('POST', `/executions/${id}/${action}`, undefined, { apiKey: key.body.key })).status,
          403,
          action,
        );
      }
      assert.equal(
        (await api('POST', `/executions/${id}/events`, { name: 'x' }, { apiKey: key.body.key })).status,
        403,
      );
      await api('POST', `/executions/${id}/terminate`);
    });
  });

  describe('external events', () => {
    it('delivers an event to a waiting wait-event node, and the run completes with its data', async () => {
      const id = await start(ids.events);
      const status = await until(async () => {
        const s = await api('GET', `/executions/${id}/status`);
        return s.body.status === 'waiting' ? s.body : undefined;
      }, 'the run to wait');
      assert.deepEqual(status.current_nodes, ['wait']);
      assert.deepEqual(status.waiting_for, [{ node_id: 'wait', kind: 'event', name: 'payment.received' }]);
      assert.equal((await api('GET', `/executions/${id}`)).body.status, 'waiting');

      // An event with another name is kept but does not wake the node.
      assert.equal((await api('POST', `/executions/${id}/events`, { name: 'other', data: {} })).status, 202);
      const r = await api('POST', `/executions/${id}/events`, {
        name: 'payment.received',
        data: { amount: 99 },
      });
      assert.equal(r.status, 202);
      assert.deepEqual(r.body, { delivered: true });
      const run = await waitForRun(tp, token, id);
      assert.equal(run.status, 'completed');
      assert.deepEqual(run.output_data, { paid: 99 });
      assert.deepEqual(run.steps.find((s: any) => s.node_id === 'wait').output, { result: { amount: 99 } });
    });

    it('rejects an event without a name with 422', async () => {
      const id = await start(ids.events);
      const r = await api('POST', `/executions/${id}/events`, { data: 1 });
      assert.equal(r.status, 422);
      assert.ok(r.body.error.details.name);
      await api('POST', `/executions/${id}/terminate`);
    });
  });

  describe('logs', () => {
    it('lists a failed run\u2019s logs with filters and summarises them with the errors', async () => {
      const flow = await createFlow({
        name: 'fails',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'ok', type: 'noop', data: { value: 1 } },
          {
            id: 'fetch',
            type: 'http-request',
            data: { url: `${base}/x?status=404` },
            retry: { max_attempts: 1 },
          },
        ],
        edges: [
          { source: 'start', target: 'ok' },
          { source: 'ok', target: 'fetch' },
        ],
      });
      const id = await start(flow);
      const run = await waitForRun(tp, token, id);
      assert.equal(run.status, 'failed');
      assert.equal(run.error.node_id, 'fetch');
      const fetchStep = run.steps.find((s: any) => s.node_id === 'fetch');
      assert.equal(fetchStep.status, 'failed');
      assert.match(fetchStep.error.message, /404/);

      const all = await api('GET', `/executions/${id}/logs`);
      assert.equal(all.status, 200);
      assert.equal(all.body.total, all.body.logs.length);
      assert.equal(all.body.skip, 0);
      assert.equal(all.body.limit, 50);
      for (const l of all.body.logs) {
        for (const f of ['id', 'node_id', 'node_type', 'level', 'message', 'timestamp', 'duration_ms'])
          assert.ok(f in l, f);
      }
      const errors = await api('GET', `/executions/${id}/logs?level=error`);
      assert.ok(errors.body.total >= 1);
      assert.ok(errors.body.logs.every((l: any) => l.level === 'error' && l.node_id === 'fetch'));
      const okLogs = await api('GET', `/executions/${id}/logs?node_id=ok&limit=1`);
      assert.equal(okLogs.body.limit, 1);
      assert.ok(okLogs.body.logs.every((l: any) => l.node_id === 'ok'));

      const summary = await api('GET', `/executions/${id}/logs/summary`);
      assert.equal(summary.status, 200);
      assert.equal(summary.body.total_logs, all.body.total);
      assert.ok(summary.body.level_stats.error >= 1);
      const stats = new Map(summary.body.node_stats.map((s: any) => [s.node_id, s]));
      assert.equal((stats.get('fetch') as any).node_type, 'http-request');
      assert.ok((stats.get('fetch') as any).log_count >= 1 && (stats.get('ok') as any).log_count >= 1);
      // Each attempt's last line carries its duration: the node's total is their sum.
      const fetchDurations = all.body.logs.filter((l: any) => l.node_id === 'fetch').reduce((t: number, l: any) => t + (l.duration_ms ?? 0), 0);
      assert.equal((stats.get('fetch') as any).total_duration_ms, fetchDurations);
      assert.match(summary.body.error_logs[0].message, /404/);

      assert.equal((await api('GET', `/executions/${id}/logs?level=loud`)).status, 400);
      assert.equal((await api('GET', `/executions/${id}/logs?limit=500`)).status, 400);
    });
  });
});
