import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/wait';

describe('executions API: retry and approvals', function () {
  this.timeout(90_000);
  let tp: TestPlatform;
  let admin: { token: string; user: any };
  let alice: { token: string; user: any };
  let bob: { token: string; user: any };
  let carol: { token: string; user: any };
  let server: http.Server;
  let base: string;
  let healthy = false;
  const calls = new Map<string, number>();

  const api = (
    method: string,
    path: string,
    body?: unknown,
    auth: string | { apiKey: string } = alice.token,
  ) => tp.api(method, `/api/v1${path}`, body, auth);
  const createFlow = async (flow: unknown, as = alice.token) => {
    const r = await api('POST', '/workflows', flow, as);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const start = async (workflowId: string, input_data: unknown = {}, as = alice.token) => {
    const r = await api('POST', '/executions', { workflow_id: workflowId, input_data }, as);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const waitingApproval = (id: string, as = alice.token) =>
    until(async () => {
      const s = await api('GET', `/executions/${id}/status`, undefined, as);
      return s.body.waiting_for?.some((w: any) => w.kind === 'approval') ? s.body : undefined;
    }, 'the approval to wait');

  before(async () => {
    server = http.createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      calls.set(path, (calls.get(path) ?? 0) + 1);
      if (path === '/flaky' && !healthy) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}');
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ value: 'fetched', call: calls.get(path) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    tp = await startTestPlatform();
    admin = await tp.login(); // the first user registered is an admin
    alice = await tp.login();
    bob = await tp.login();
    carol = await tp.login();
  });
  after(async () => {
    await tp?.stop();
    server?.close();
  });

  describe('POST /executions/{id}/retry', () => {
    const retryFlow = () => ({
      name: 'A then flaky B then C',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'a', type: 'noop', data: { value: { n: '{{ input.n }}' } } },
        {
          id: 'b',
          type: 'http-request',
          data: { url: `${base}/flaky` },
          retry: { max_attempts: 2, initial_interval_ms: 50 },
        },
        { id: 'c', type: 'transform', data: { expression: '{"n": a.result.n, "b": b.result.value}' } },
        { id: 'end', type: 'end', data: { output: '{{ c.result }}' } },
      ],
      edges: [
        { source: 'start', target: 'a' },
        { source: 'a', target: 'b' },
        { source: 'b', target: 'c' },
        { source: 'c', target: 'end' },
      ],
    });
    let flowId: string;
    let failedId: string;
    let failed: any;

    before(async () => {
      healthy = false;
      flowId = await createFlow(retryFlow());
      failedId = await start(flowId, { n: 7 });
      failed = await waitForRun(tp, alice.token, failedId);
    });

    it('starts a new run from the failed node that does not re-execute the nodes before it', async () => {
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error.node_id, 'b');
      assert.equal(calls.get('/flaky'), 2);
      const aBefore = failed.steps.find((s: any) => s.node_id === 'a');

      healthy = true;
      const r = await api('POST', `/executions/${failedId}/retry`, {});
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.notEqual(r.body.id, failedId);
      assert.deepEqual(r.body.trigger, {
        type: 'retry',
        retry_of: failedId,
        from_node: 'b',
        user_id: alice.user.id,
      });
      assert.deepEqual(r.body.input_data, { n: 7 });
      const run = await waitForRun(tp, alice.token, r.body.id);
      assert.equal(run.status, 'completed', JSON.stringify(run.error));
      assert.deepEqual(run.output_data, { n: 7, b: 'fetched' });
      assert.equal(calls.get('/flaky'), 3);

      // `a` is the earlier run's step, carried over: same timestamps, and no activity ran for it.
      const aAfter = run.steps.find((s: any) => s.node_id === 'a');
      assert.equal(aAfter.status, 'completed');
      assert.deepEqual(aAfter.output, { result: { n: 7 } });
      assert.equal(aAfter.started_at, aBefore.started_at);
      assert.equal(aAfter.finished_at, aBefore.finished_at);
      const aLogs = await api('GET', `/executions/${run.id}/logs?node_id=a`);
      assert.equal(aLogs.body.total, 0);
      const bLogs = await api('GET', `/executions/${run.id}/logs?node_id=b&limit=1`);
      assert.ok(bLogs.body.total >= 1);
      // A page like every list's, with the lines also under the seeds' name `logs`.
      assert.deepEqual(Object.keys(bLogs.body).sort(), ['items', 'limit', 'logs', 'skip', 'total']);
      assert.equal(bLogs.body.items.length, 1);
      assert.equal(bLogs.body.items[0].node_id, 'b');
      assert.deepEqual(bLogs.body.logs, bLogs.body.items);
      assert.deepEqual([bLogs.body.skip, bLogs.body.limit], [0, 1]);
      // The earlier run is unchanged.
      assert.equal((await api('GET', `/executions/${failedId}`)).body.status, 'failed');
    });

    it('reruns from an explicit from_node of a completed run, keeping everything upstream', async () => {
      healthy = true;
      const id = await start(flowId, { n: 1 });
      const done = await waitForRun(tp, alice.token, id);
      assert.equal(done.status, 'completed');
      const before = calls.get('/flaky');

      assert.equal((await api('POST', `/executions/${id}/retry`, {})).status, 409);
      const r = await api('POST', `/executions/${id}/retry`, { from_node: 'c' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const run = await waitForRun(tp, alice.token, r.body.id);
      assert.equal(run.status, 'completed');
      assert.deepEqual(run.output_data, { n: 1, b: 'fetched' });
      assert.equal(calls.get('/flaky'), before, 'b was not called again');
      assert.equal((await api('GET', `/executions/${run.id}/logs?node_id=b`)).body.total, 0);
    });

    it('with use_latest_version runs the head version and keeps only steps whose node is unchanged', async () => {
      healthy = false;
      const id = await start(flowId, { n: 5 });
      assert.equal((await waitForRun(tp, alice.token, id)).status, 'failed');

      // v2 changes `c`; `a` is unchanged, so it is still carried.
      const v2 = retryFlow();
      v2.nodes[3].data = { expression: '{"n": a.result.n * 10, "b": b.result.value}' };
      const put = await api('PATCH', `/workflows/${flowId}`, { nodes: v2.nodes, edges: v2.edges });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.version, 2);

      healthy = true;
      const pinned = await api('POST', `/executions/${id}/retry`, {});
      const pinnedRun = await waitForRun(tp, alice.token, pinned.body.id);
      assert.equal(pinnedRun.workflow_version, 1);
      assert.deepEqual(pinnedRun.output_data, { n: 5, b: 'fetched' });

      const latest = await api('POST', `/executions/${id}/retry`, { use_latest_version: true });
      assert.equal(latest.status, 201);
      const latestRun = await waitForRun(tp, alice.token, latest.body.id);
      assert.equal(latestRun.workflow_version, 2);
      assert.deepEqual(latestRun.output_data, { n: 50, b: 'fetched' });
      assert.equal((await api('GET', `/executions/${latestRun.id}/logs?node_id=a`)).body.total, 0);

      // v3 changes `a`: it is no longer the same step, so it runs again.
      const v3 = retryFlow();
      v3.nodes[1].data = { value: { n: '{{ input.n + 1 }}' } };
      await api('PATCH', `/workflows/${flowId}`, { nodes: v3.nodes, edges: v3.edges });
      const rerun = await api('POST', `/executions/${id}/retry`, {
        use_latest_version: true,
        from_node: 'c',
      });
      const rerunRun = await waitForRun(tp, alice.token, rerun.body.id);
      assert.deepEqual(rerunRun.output_data, { n: 6, b: 'fetched' });
      assert.ok((await api('GET', `/executions/${rerunRun.id}/logs?node_id=a`)).body.total >= 1);
    });

    it('answers 409 while the run is still running, 422 for an unknown from_node or bad body, 404 for others', async () => {
      const waiting = await createFlow({
        name: 'waits',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'w', type: 'wait-event', data: { name: 'go' } },
        ],
        edges: [{ source: 'start', target: 'w' }],
      });
      const id = await start(waiting);
      const running = await api('POST', `/executions/${id}/retry`, {});
      assert.equal(running.status, 409);
      assert.equal(running.body.error.code, 'CONFLICT');
      await api('POST', `/executions/${id}/terminate`);

      const unknown = await api('POST', `/executions/${failedId}/retry`, { from_node: 'ghost' });
      assert.equal(unknown.status, 422);
      assert.ok(unknown.body.error.details.from_node);
      assert.equal((await api('POST', `/executions/${failedId}/retry`, { from_node: 7 })).status, 422);
      assert.equal(
        (await api('POST', `/executions/${failedId}/retry`, { use_latest_version: 'yes' })).status,
        422,
      );
      assert.equal((await api('POST', `/executions/${failedId}/retry`, {}, bob.token)).status, 404);
      const key = await api('POST', '/auth/api-keys', { name: 'ro', scopes: ['read'] });
      assert.equal(
        (await api('POST', `/executions/${failedId}/retry`, {}, { apiKey: key.body.key })).status,
        403,
      );
    });
  });

  describe('approvals', () => {
    let gated: string;
    let open: string;

    before(async () => {
      gated = await createFlow({
        name: 'needs bob',
        nodes: [
          { id: 'start', type: 'start' },
          {
            id: 'approve',
            type: 'approval',
            label: 'Ship it',
            data: {
              title: 'Ship {{ input.v }}?',
              instructions: 'Check the changelog',
              approvers: [bob.user.username],
            },
          },
          { id: 'hold', type: 'wait-event', data: { name: 'release' } },
          { id: 'no', type: 'noop', data: { value: 'rejected' } },
        ],
        edges: [
          { source: 'start', target: 'approve' },
          { source: 'approve', target: 'hold', source_handle: 'approved' },
          { source: 'approve', target: 'no', source_handle: 'rejected' },
        ],
      });
      open = await createFlow({
        name: 'owner decides',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'gate', type: 'approval', data: {} },
          { id: 'yes', type: 'noop', data: { value: 'approved' } },
          { id: 'no', type: 'noop', data: { value: 'rejected' } },
        ],
        edges: [
          { source: 'start', target: 'gate' },
          { source: 'gate', target: 'yes', source_handle: 'approved' },
          { source: 'gate', target: 'no', source_handle: 'rejected' },
        ],
      });
    });

    it('lists pending approvals for the owner and the named approver, not for others', async () => {
      const id = await start(gated, { v: '1.2' });
      await waitingApproval(id);

      // The list is what the run reported, a few milliseconds after its status query says it waits.
      const mine = await until(async () => {
        const r = await api('GET', '/approvals');
        return r.body.items.some((i: any) => i.execution_id === id) ? r : undefined;
      }, 'the approval to be listed');
      assert.equal(mine.status, 200);
      const item = mine.body.items.find((i: any) => i.execution_id === id);
      assert.ok(item, JSON.stringify(mine.body));
      assert.equal(item.workflow_id, gated);
      assert.equal(item.node_id, 'approve');
      assert.equal(item.title, 'Ship 1.2?');
      assert.equal(item.instructions, 'Check the changelog');
      assert.deepEqual(item.approvers, [bob.user.username]);
      assert.ok(Date.parse(item.requested_at) > 0);
      assert.equal(item.can_decide, false);
      assert.equal(mine.body.skip, 0);
      assert.equal(mine.body.limit, 20);

      const bobs = await api('GET', '/approvals', undefined, bob.token);
      const bobItem = bobs.body.items.find((i: any) => i.execution_id === id);
      assert.ok(bobItem, JSON.stringify(bobs.body));
      assert.equal(bobItem.can_decide, true);
      assert.equal((await api('GET', '/approvals', undefined, carol.token)).body.items.length, 0);
      const admins = await api('GET', '/approvals', undefined, admin.token);
      assert.equal(admins.body.items.find((i: any) => i.execution_id === id)?.can_decide, true);
      assert.equal((await api('GET', `/approvals?workflow_id=${open}`)).body.items.length, 0);
      assert.equal((await api('GET', '/approvals?limit=0')).status, 400);
      await api('POST', `/executions/${id}/terminate`);
    });

    it('lets the named approver decide; the run follows the right port; a second decision is a 409', async () => {
      const id = await start(gated, { v: '2.0' });
      await waitingApproval(id);

      // The owner is not among the approvers; carol may not even see the run; bob's key lacks `approve`.
      const owner = await api('POST', `/executions/${id}/approvals/approve`, { decision: 'approve' });
      assert.equal(owner.status, 403, JSON.stringify(owner.body));
      assert.equal(owner.body.error.code, 'FORBIDDEN');
      assert.equal(
        (await api('POST', `/executions/${id}/approvals/approve`, { decision: 'approve' }, carol.token))
          .status,
        404,
      );
      const key = await api(
        'POST',
        '/auth/api-keys',
        { name: 'no approve', scopes: ['read', 'execute'] },
        bob.token,
      );
      const scoped = await api(
        'POST',
        `/executions/${id}/approvals/approve`,
        { decision: 'approve' },
        { apiKey: key.body.key },
      );
      assert.equal(scoped.status, 403);
      assert.match(scoped.body.error.message, /approve/);
      assert.equal(
        (await api('POST', `/executions/${id}/approvals/approve`, { decision: 'maybe' }, bob.token)).status,
        422,
      );

      // `approved` (the seeds' spelling) is taken as `approve`.
      const ok = await api(
        'POST',
        `/executions/${id}/approvals/approve`,
        { decision: 'approved', comment: 'LGTM' },
        bob.token,
      );
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.decision, 'approved');
      assert.equal(ok.body.comment, 'LGTM');
      assert.equal(ok.body.decided_by, bob.user.username);

      // The run went on along `approved` and now waits in `hold`.
      await until(async () => {
        const s = await api('GET', `/executions/${id}/status`);
        return s.body.waiting_for?.some((w: any) => w.node_id === 'hold') || undefined;
      }, 'hold to wait');
      const again = await api(
        'POST',
        `/executions/${id}/approvals/approve`,
        { decision: 'reject' },
        bob.token,
      );
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'CONFLICT');
      assert.equal(
        (await api('POST', `/executions/${id}/approvals/hold`, { decision: 'approve' }, alice.token)).status,
        409,
      );
      assert.equal(
        (await api('POST', `/executions/${id}/approvals/ghost`, { decision: 'approve' }, alice.token)).status,
        409,
      );

      await api('POST', `/executions/${id}/events`, { name: 'release' });
      const run = await waitForRun(tp, alice.token, id);
      assert.equal(run.status, 'completed');
      const steps = Object.fromEntries(run.steps.map((s: any) => [s.node_id, s]));
      assert.equal(steps.approve.port, 'approved');
      assert.equal(steps.hold.status, 'completed');
      assert.equal(steps.no.status, 'skipped');
      assert.equal(
        (await api('POST', `/executions/${id}/approvals/approve`, { decision: 'approve' }, bob.token)).status,
        409,
      );
    });

    it('lets the owner reject when the node names no approvers, and the run takes the rejected port', async () => {
      const id = await start(open);
      await waitingApproval(id);
      const item = (await api('GET', '/approvals')).body.items.find((i: any) => i.execution_id === id);
      assert.equal(item.can_decide, true);
      assert.equal(
        (await api('POST', `/executions/${id}/approvals/gate`, { decision: 'approve' }, bob.token)).status,
        404,
      );
      const r = await api('POST', `/executions/${id}/approvals/gate`, { decision: 'rejected', comment: 'no' });
      assert.equal(r.status, 200);
      assert.equal(r.body.decision, 'rejected');
      const run = await waitForRun(tp, alice.token, id);
      assert.equal(run.output_data, 'rejected');
      assert.equal(run.steps.find((s: any) => s.node_id === 'yes').status, 'skipped');
      assert.equal(
        (await api('GET', '/approvals')).body.items.filter((i: any) => i.execution_id === id).length,
        0,
      );
    });
  });
});
