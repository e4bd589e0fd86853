import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/wait';

/** The run detail: which steps a retried run reused, and the steps and logs of loop items. */
describe('executions API: reused steps and loop items in the run detail', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let alice: { token: string; user: any };
  let server: http.Server;
  let base: string;
  let healthy = false;

  const api = (method: string, path: string, body?: unknown) => tp.api(method, `/api/v1${path}`, body, alice.token);
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
  const byNode = (steps: any[]) => Object.fromEntries(steps.map((s) => [s.node_id, s]));
  const waitingForApproval = (id: string) =>
    until(async () => {
      const d = (await api('GET', `/executions/${id}`)).body;
      return d.status === 'waiting' ? d : undefined;
    }, `run ${id} to wait for its approval`);

  before(async () => {
    server = http.createServer((_req, res) => {
      if (!healthy) res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"value":"fetched"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    tp = await startTestPlatform();
    await tp.login(); // the first user is an admin
    alice = await tp.login();
  });
  after(async () => {
    await tp?.stop();
    server?.close();
  });

  describe('a retried run', () => {
    it('marks the steps it reused with the execution that ran them, while it runs and once it ended', async () => {
      healthy = false;
      const flowId = await createFlow({
        name: 'a, flaky b, approval',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'a', type: 'noop', data: { value: '{{ input.n }}' } },
          { id: 'b', type: 'http-request', data: { url: `${base}/flaky` }, retry: { max_attempts: 1 } },
          { id: 'ok', type: 'approval', data: { title: 'go on?' } },
          { id: 'end', type: 'end', data: { output: { a: '{{ a.result }}', b: '{{ b.result.value }}' } } },
        ],
        edges: [
          { source: 'start', target: 'a' },
          { source: 'a', target: 'b' },
          { source: 'b', target: 'ok' },
          { source: 'ok', target: 'end', source_handle: 'approved' },
        ],
      });
      const firstId = await start(flowId, { n: 3 });
      const first = await waitForRun(tp, alice.token, firstId);
      assert.equal(first.status, 'failed');
      // A run that is no retry reused nothing: the field is there, null.
      for (const s of first.steps) assert.equal(s.reused_from, null, s.node_id);

      healthy = true;
      const second = await api('POST', `/executions/${firstId}/retry`, {});
      assert.equal(second.status, 201, JSON.stringify(second.body));
      const secondId = second.body.id as string;
      // While it waits, the steps come from the workflow's status query.
      const live = byNode((await waitingForApproval(secondId)).steps);
      assert.equal(live.start.reused_from, firstId);
      assert.equal(live.a.reused_from, firstId);
      assert.equal(live.b.reused_from, null, 'b ran again');
      assert.equal(live.b.status, 'completed');
      assert.equal(live.ok.reused_from, null);
      assert.equal(live.ok.status, 'waiting');

      const decided = await api('POST', `/executions/${secondId}/approvals/ok`, { decision: 'approve' });
      assert.equal(decided.status, 200, JSON.stringify(decided.body));
      const done = await waitForRun(tp, alice.token, secondId);
      assert.equal(done.status, 'completed');
      assert.deepEqual(done.output_data, { a: 3, b: 'fetched' });
      // Once ended, from the run's result: the same marks.
      const ended = byNode(done.steps);
      assert.deepEqual(
        Object.fromEntries(Object.entries(ended).map(([id, s]: [string, any]) => [id, s.reused_from])),
        { start: firstId, a: firstId, b: null, ok: null, end: null },
      );
      assert.equal(ended.a.started_at, byNode(first.steps).a.started_at, 'the reused step is the earlier one');

      // A retry of the retry names the run that really ran each step (where its logs are).
      const third = await api('POST', `/executions/${secondId}/retry`, { from_node: 'ok' });
      assert.equal(third.status, 201, JSON.stringify(third.body));
      const again = byNode((await waitingForApproval(third.body.id)).steps);
      assert.equal(again.a.reused_from, firstId);
      assert.equal(again.b.reused_from, secondId);
      assert.equal(again.ok.reused_from, null);
      assert.equal((await api('GET', `/executions/${third.body.id}/logs?node_id=b`)).body.total, 0);
      assert.ok((await api('GET', `/executions/${secondId}/logs?node_id=b`)).body.total >= 1);
      assert.equal((await api('POST', `/executions/${third.body.id}/cancel`)).status, 200);
    });
  });

  describe('loop items', () => {
    it('shows each body step of a small loop with its item index, and the item in its log lines', async () => {
      const flowId = await createFlow({
        name: 'inline loop',
        nodes: [
          { id: 'start', type: 'start' },
          {
            id: 'each',
            type: 'loop',
            data: {
              items: '{{ input.items }}',
              body: {
                nodes: [
                  { id: 'fetch', type: 'noop', data: { value: '{{ item }}' } },
                  { id: 'double', type: 'transform', data: { expression: 'fetch.result * 2' } },
                ],
                edges: [{ source: 'fetch', target: 'double' }],
              },
            },
          },
          { id: 'after', type: 'noop', data: { value: 'done' } },
        ],
        edges: [
          { source: 'start', target: 'each' },
          { source: 'each', target: 'after' },
        ],
      });
      const run = await waitForRun(tp, alice.token, await start(flowId, { items: [5, 6, 7] }));
      assert.equal(run.status, 'completed', JSON.stringify(run.error));
      // `steps` stays one per node of the flow; the items' steps are beside it.
      assert.deepEqual(run.steps.map((s: any) => s.node_id), ['start', 'each', 'after']);
      const items = run.item_steps;
      assert.equal(items.total, 6);
      assert.deepEqual([items.skip, items.limit], [0, 100]);
      assert.deepEqual(items.by_status, { completed: 6 });
      assert.deepEqual(
        items.items.map((s: any) => [s.item_index, s.node_id, s.output.result]),
        [
          [0, 'fetch', 5],
          [0, 'double', 10],
          [1, 'fetch', 6],
          [1, 'double', 12],
          [2, 'fetch', 7],
          [2, 'double', 14],
        ],
      );
      const second = items.items[2];
      assert.equal(second.scope, 'each/1/');
      assert.equal(second.loop_node_id, 'each');
      assert.equal(second.batch, null, 'a small loop runs inline');
      assert.equal(second.status, 'completed');
      assert.equal(second.attempt, 1);
      assert.ok(second.started_at && second.finished_at);

      // Log lines of item 1 only, each saying so; lines outside the loop say nothing of items.
      const lines = await api('GET', `/executions/${run.id}/logs?item_index=1&loop_node_id=each`);
      assert.equal(lines.status, 200);
      assert.ok(lines.body.total >= 1);
      for (const l of lines.body.items) {
        assert.equal(l.node_id, 'fetch');
        assert.equal(l.item_index, 1);
        assert.equal(l.loop_node_id, 'each');
        assert.equal(l.scope, 'each/1/');
      }
      const after = await api('GET', `/executions/${run.id}/logs?node_id=after`);
      assert.ok(after.body.total >= 1);
      assert.equal(after.body.items[0].item_index, null);
      assert.equal(after.body.items[0].scope, null);
      assert.equal((await api('GET', `/executions/${run.id}/logs?item_index=9`)).body.total, 0);
      assert.equal((await api('GET', `/executions/${run.id}/logs?item_index=-1`)).status, 400);
    });

    it('tells nested loops apart by scope and names the innermost loop', async () => {
      const flowId = await createFlow({
        name: 'nested loops',
        nodes: [
          { id: 'start', type: 'start' },
          {
            id: 'outer',
            type: 'loop',
            data: {
              items: '{{ [[1, 2], [3]] }}',
              body: {
                nodes: [
                  {
                    id: 'inner',
                    type: 'loop',
                    data: { items: '{{ item }}', body: { nodes: [{ id: 'leaf', type: 'noop', data: { value: '{{ item }}' } }], edges: [] } },
                  },
                ],
                edges: [],
              },
            },
          },
        ],
        edges: [{ source: 'start', target: 'outer' }],
      });
      const run = await waitForRun(tp, alice.token, await start(flowId));
      assert.equal(run.status, 'completed', JSON.stringify(run.error));
      const places = run.item_steps.items.map((s: any) => `${s.scope}${s.node_id}@${s.loop_node_id}[${s.item_index}]`).sort();
      assert.deepEqual(places, [
        'outer/0/inner/0/leaf@inner[0]',
        'outer/0/inner/1/leaf@inner[1]',
        'outer/0/inner@outer[0]',
        'outer/1/inner/0/leaf@inner[0]',
        'outer/1/inner@outer[1]',
      ]);
      const leaf = run.item_steps.items.find((s: any) => s.scope === 'outer/0/inner/1/');
      assert.equal(leaf.output.result, 2);
    });

    it('bounds a large loop in the detail and pages through its items, with the batch that ran each', async function () {
      this.timeout(180_000);
      const count = 250;
      const flowId = await createFlow({
        name: 'batched loop',
        nodes: [
          { id: 'start', type: 'start' },
          {
            id: 'each',
            type: 'loop',
            data: {
              items: '{{ [0..249] }}',
              concurrency: 10,
              body: {
                nodes: [
                  { id: 'calc', type: 'transform', data: { expression: 'item * 3' } },
                  { id: 'keep', type: 'noop', data: { value: '{{ calc.result }}' } },
                ],
                edges: [{ source: 'calc', target: 'keep' }],
              },
            },
          },
        ],
        edges: [{ source: 'start', target: 'each' }],
      });
      const run = await waitForRun(tp, alice.token, await start(flowId), undefined, 150_000);
      assert.equal(run.status, 'completed', JSON.stringify(run.error));
      assert.equal(run.steps.find((s: any) => s.node_id === 'each').output.result.length, count);

      // The detail holds the first page only: 100 of the 500 item steps, with the counts of all.
      assert.equal(run.item_steps.total, count * 2);
      assert.equal(run.item_steps.items.length, 100);
      assert.deepEqual(run.item_steps.by_status, { completed: count * 2 });
      assert.deepEqual(
        run.item_steps.items.slice(0, 2).map((s: any) => [s.item_index, s.node_id]),
        [
          [0, 'calc'],
          [0, 'keep'],
        ],
      );
      assert.equal(run.item_steps.items[99].item_index, 49);

      // Two nodes per item: 200 items per batch, so item 230 ran in the second batch.
      const page = await api('GET', `/executions/${run.id}/item-steps?item_index=230`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.equal(page.body.total, 2);
      assert.deepEqual(
        page.body.items.map((s: any) => [s.node_id, s.output.result]),
        [
          ['calc', 690],
          ['keep', 690],
        ],
      );
      for (const s of page.body.items) {
        assert.equal(s.batch.number, 1);
        assert.match(s.batch.workflow_id, /\/each\/batch-200$/);
      }
      const first = await api('GET', `/executions/${run.id}/item-steps?item_index=0&node_id=keep`);
      assert.equal(first.body.items[0].batch.number, 0);

      const next = await api('GET', `/executions/${run.id}/item-steps?skip=100&limit=50&loop_node_id=each`);
      assert.equal(next.body.total, count * 2);
      assert.equal(next.body.items.length, 50);
      assert.deepEqual([next.body.items[0].item_index, next.body.items[49].item_index], [50, 74]);
      assert.equal((await api('GET', `/executions/${run.id}/item-steps?status=failed`)).body.total, 0);
      assert.equal((await api('GET', `/executions/${run.id}/item-steps?limit=101`)).status, 400);

      // The batch's activities wrote their lines with the item too.
      const lines = await api('GET', `/executions/${run.id}/logs?item_index=230`);
      assert.ok(lines.body.total >= 1);
      assert.ok(lines.body.items.every((l: any) => l.node_id === 'keep' && l.item_index === 230 && l.loop_node_id === 'each'));
    });
  });
});
