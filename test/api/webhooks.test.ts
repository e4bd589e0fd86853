/**
 * Outbound webhooks through the API: subscriptions (owners only), events filtered by type and
 * flow, signed bodies, retries with backoff while a receiver refuses, the delivery log, and the
 * private-address guard at subscription and at delivery time.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/wait';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: any;
  at: number;
}

/** A loopback receiver; `/down` answers 503 until `upAt`, everything else 200. */
async function startReceiver() {
  const received: Received[] = [];
  const refused: string[] = [];
  let upAt = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/down' && Date.now() < upAt) {
        refused.push(raw);
        res.writeHead(503).end('not yet');
        return;
      }
      received.push({ path, headers: req.headers, raw, body: JSON.parse(raw), at: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    received,
    refused,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refuseFor(ms: number) {
      upAt = Date.now() + ms;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Checks a delivery's signature as a receiver would (docs/api-webhooks.md). */
function verify(secret: string, r: Received): boolean {
  const expected = `sha256=${createHmac('sha256', secret).update(`${r.headers['x-timestamp']}.${r.raw}`).digest('hex')}`;
  const given = String(r.headers['x-signature']);
  return given.length === expected.length && given === expected;
}

const simpleFlow = (name: string) => ({
  name,
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'greet', type: 'transform', data: { expression: '"hi " & input.name' } },
    { id: 'end', type: 'end', data: { output: { greeting: '{{ greet.result }}' } } },
  ],
  edges: [
    { source: 'start', target: 'greet' },
    { source: 'greet', target: 'end' },
  ],
});

const failingFlow = {
  name: 'fails',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'stop', type: 'terminate', data: { status: 'failed', message: 'no luck' } },
  ],
  edges: [{ source: 'start', target: 'stop' }],
};

describe('outbound webhooks API', function () {
  this.timeout(150_000);
  let tp: TestPlatform;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let alice: { token: string; user: any };
  let bob: { token: string; user: any };

  const api = (method: string, path: string, body?: unknown, token = alice.token) => tp.api(method, `/api/v1${path}`, body, token);
  const createFlow = async (flow: unknown) => {
    const r = await api('POST', '/workflows', flow);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const run = async (flowId: string, input_data: unknown = { name: 'Ada' }) => {
    const r = await api('POST', '/executions', { workflow_id: flowId, input_data });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const subscribe = async (body: Record<string, unknown>) => {
    const r = await api('POST', '/webhooks', body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body as { id: string; secret: string; events: string[] };
  };

  before(async () => {
    receiver = await startReceiver();
    tp = await startTestPlatform();
    await tp.login(); // the first user is an admin
    alice = await tp.login();
    bob = await tp.login();
  });
  after(async () => {
    await tp?.stop();
    await receiver?.close();
  });

  describe('subscriptions', () => {
    it('creates one with a generated secret shown once, lists, changes and deletes it; others get 404', async () => {
      const created = await api('POST', '/webhooks', { url: `${receiver.base}/crud`, events: ['flow.executed', 'flow.failed', 'approval.requested'] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.match(created.body.secret, /^whsec_/);
      assert.deepEqual(created.body.events, ['execution.completed', 'execution.failed', 'approval.requested'], 'aliases are stored as their event');
      assert.equal(created.body.enabled, true);
      assert.equal(created.body.workflow_id, null);
      const id = created.body.id;

      const got = await api('GET', `/webhooks/${id}`);
      assert.equal(got.status, 200);
      assert.equal(got.body.secret, undefined, 'the secret is shown only once');
      const list = await api('GET', '/webhooks?limit=5');
      assert.equal(list.status, 200);
      assert.ok(list.body.items.some((w: any) => w.id === id));
      assert.deepEqual([list.body.skip, list.body.limit], [0, 5]);

      const patched = await api('PATCH', `/webhooks/${id}`, { enabled: false, events: ['*'] });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.equal(patched.body.enabled, false);
      assert.deepEqual(patched.body.events, ['*']);

      for (const [method, path, body] of [
        ['GET', `/webhooks/${id}`],
        ['PATCH', `/webhooks/${id}`, { enabled: true }],
        ['GET', `/webhooks/${id}/deliveries`],
        ['DELETE', `/webhooks/${id}`],
      ] as const) {
        assert.equal((await api(method, path, body, bob.token)).status, 404, `${method} ${path} by another user`);
      }
      assert.equal((await api('GET', '/webhooks', undefined, bob.token)).body.total, 0);

      assert.equal((await api('DELETE', `/webhooks/${id}`)).status, 204);
      assert.equal((await api('GET', `/webhooks/${id}`)).status, 404);
    });

    it('refuses unknown events, a flow that is not yours and a URL that is not http', async () => {
      const unknown = await api('POST', '/webhooks', { url: `${receiver.base}/x`, events: ['execution.completed', 'flow.exploded'] });
      assert.equal(unknown.status, 422);
      assert.match(unknown.body.error.details['events[1]'], /flow\.exploded/);
      const bobsFlow = (await api('POST', '/workflows', simpleFlow('bob'), bob.token)).body.id;
      const foreign = await api('POST', '/webhooks', { url: `${receiver.base}/x`, events: ['*'], workflow_id: bobsFlow });
      assert.equal(foreign.status, 422);
      assert.ok(foreign.body.error.details.workflow_id);
      const ftp = await api('POST', '/webhooks', { url: 'ftp://example.com/x', events: ['*'] });
      assert.equal(ftp.status, 422);
      assert.ok(ftp.body.error.details.url);
    });
  });

  it('delivers each event once, signed, to a receiver that refuses for the first 30 s, filtered by event and flow', async function () {
    this.timeout(120_000);
    const flowA = await createFlow(simpleFlow('A'));
    const flowB = await createFlow(simpleFlow('B'));
    const flowFail = await createFlow(failingFlow);
    receiver.refuseFor(30_000);
    const upAt = Date.now() + 30_000;
    const onA = await subscribe({ url: `${receiver.base}/down`, events: ['execution.started', 'flow.executed'], workflow_id: flowA, secret: 'a-secret-of-ours' });
    const failures = await subscribe({ url: `${receiver.base}/failures`, events: ['execution.failed'] });
    const disabled = await subscribe({ url: `${receiver.base}/disabled`, events: ['*'], enabled: false });

    const runA = await run(flowA);
    const runB = await run(flowB);
    const runFail = await run(flowFail);
    await waitForRun(tp, alice.token, runA);
    await waitForRun(tp, alice.token, runB);
    const failed = await waitForRun(tp, alice.token, runFail);
    assert.equal(failed.status, 'failed');

    // The failure subscription's receiver is up: delivered at once.
    const failure = await until(async () => receiver.received.find((r) => r.path === '/failures'), 'the execution.failed delivery');
    assert.equal(failure.body.event, 'execution.failed');
    assert.equal(failure.body.data.execution_id, runFail);
    assert.equal(failure.body.data.workflow_id, flowFail);
    assert.equal(failure.body.data.status, 'failed');
    assert.match(failure.body.data.error.message, /no luck/);
    assert.ok(verify(failures.secret, failure), 'signed with the generated secret');

    // The other receiver refuses: the deliveries are retried with backoff until it answers.
    await until(async () => receiver.refused.length >= 4, 'a few refused attempts', 20_000);
    const log = await api('GET', `/webhooks/${onA.id}/deliveries`);
    assert.equal(log.status, 200);
    assert.equal(log.body.total, 2);
    for (const d of log.body.items) {
      assert.equal(d.status, 'pending');
      assert.ok(d.attempts >= 1);
      assert.equal(d.response_status, 503);
      assert.match(d.last_error, /HTTP 503/);
    }

    const atA = await until(
      async () => {
        const got = receiver.received.filter((r) => r.path === '/down');
        return got.length >= 2 ? got : undefined;
      },
      () => `both events of run A (refused ${receiver.refused.length} times so far)`,
      90_000,
    );
    // Long enough for a duplicate to show up if one were coming.
    await new Promise((r) => setTimeout(r, 2_000));
    const down = receiver.received.filter((r) => r.path === '/down');
    assert.deepEqual(down.map((r) => r.body.event).sort(), ['execution.completed', 'execution.started'], 'each event once');
    for (const r of atA) {
      assert.equal(r.body.data.execution_id, runA, 'only runs of the subscribed flow');
      assert.equal(r.body.data.workflow_id, flowA);
      assert.ok(verify('a-secret-of-ours', r), `${r.body.event}: the signature verifies`);
      assert.equal(r.headers['x-event'], r.body.event);
      assert.equal(r.headers['x-delivery-id'], r.body.id);
      assert.ok(Math.abs(Number(r.headers['x-timestamp']) - r.at / 1000) < 5, 'X-Timestamp is unix seconds of the attempt');
      assert.ok(!Number.isNaN(Date.parse(r.body.timestamp)));
    }
    const completed = down.find((r) => r.body.event === 'execution.completed')!;
    assert.deepEqual(completed.body.data.output_data, { greeting: 'hi Ada' });
    assert.equal(completed.body.data.status, 'completed');
    assert.ok(completed.at >= upAt, 'delivered once the receiver came back');

    const after = await until(async () => {
      const l = await api('GET', `/webhooks/${onA.id}/deliveries`);
      return l.body.items.every((d: any) => d.status === 'delivered') ? l.body : undefined;
    }, 'the deliveries to be marked delivered');
    for (const d of after.items) {
      assert.ok(d.attempts > 1, `${d.event}: failed attempts are counted (${d.attempts})`);
      assert.equal(d.response_status, 200);
      assert.match(d.last_error, /HTTP 503/, 'the last failure stays visible');
      assert.ok(d.delivered_at);
      assert.equal(d.execution_id, runA);
      assert.ok(down.some((r) => r.body.id === d.id), 'the log lists what was delivered');
    }
    assert.equal(receiver.received.filter((r) => r.path === '/failures').length, 1, 'completed runs are not sent to an execution.failed subscription');
    assert.equal(receiver.received.filter((r) => r.path === '/disabled').length, 0, 'a disabled subscription gets nothing');
    assert.equal((await api('GET', `/webhooks/${disabled.id}/deliveries`)).body.total, 0);
  });

  it('sends the end of a terminated run, which reports nothing itself, once (from the reconciler)', async () => {
    const flow = await createFlow({
      name: 'waits forever',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'hold', type: 'approval', data: { title: 'never decided' } },
      ],
      edges: [{ source: 'start', target: 'hold' }],
    });
    const hook = await subscribe({ url: `${receiver.base}/ended`, events: ['execution.cancelled', 'execution.failed', 'execution.completed'], workflow_id: flow });
    const id = await run(flow);
    await waitForRun(tp, alice.token, id, ['waiting']);
    const terminated = await api('POST', `/executions/${id}/terminate`);
    assert.equal(terminated.status, 200, JSON.stringify(terminated.body));
    const got = await until(async () => receiver.received.find((r) => r.path === '/ended'), 'the terminal event');
    assert.equal(got.body.event, 'execution.cancelled');
    assert.deepEqual([got.body.data.execution_id, got.body.data.status], [id, 'terminated']);
    assert.ok(verify(hook.secret, got));
    // Later reconciliations of the same run (reads reconcile too) send nothing more.
    await api('GET', `/executions/${id}`);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(receiver.received.filter((r) => r.path === '/ended').length, 1);
  });

  describe('without HTTP_ALLOWED_HOSTS', () => {
    let closed: TestPlatform;
    let carol: { token: string; user: any };
    before(async () => {
      closed = await startTestPlatform({ HTTP_ALLOWED_HOSTS: '' });
      carol = await closed.login();
    });
    after(async () => closed?.stop());

    it('refuses a private destination when subscribing (422 naming url)', async () => {
      for (const url of [`${receiver.base}/private`, receiver.base.replace('127.0.0.1', 'localhost'), 'http://169.254.169.254/latest']) {
        const r = await closed.api('POST', '/api/v1/webhooks', { url, events: ['*'] }, carol.token);
        assert.equal(r.status, 422, `${url}: ${JSON.stringify(r.body)}`);
        assert.match(r.body.error.details.url, /Refusing to connect|HTTP_ALLOWED_HOSTS/);
      }
    });

    it('refuses it again when delivering, without retrying', async () => {
      // A subscription that got past the check (e.g. its name resolved elsewhere then).
      const hook = await closed.platform.repos.webhooks.create({ owner_id: carol.user.id, url: `${receiver.base}/private`, events: ['execution.completed'] });
      const flow = await closed.api('POST', '/api/v1/workflows', simpleFlow('guarded'), carol.token);
      const started = await closed.api('POST', '/api/v1/executions', { workflow_id: flow.body.id, input_data: { name: 'x' } }, carol.token);
      await waitForRun(closed, carol.token, started.body.id);
      const d = await until(async () => {
        const l = await closed.api('GET', `/api/v1/webhooks/${hook.id}/deliveries`, undefined, carol.token);
        return l.body.items[0]?.status === 'failed' ? l.body.items[0] : undefined;
      }, 'the delivery to fail');
      assert.equal(d.attempts, 1);
      assert.equal(d.response_status, null);
      assert.match(d.last_error, /Refusing to connect to 127\.0\.0\.1/);
      assert.equal(receiver.received.filter((r) => r.path === '/private').length, 0);
    });
  });
});
