/**
 * `/api/v1/monitoring` (seed 004): overview, run statistics by status, flow and day, and node type
 * use and failure rates, from the run index and the runs' node events, scoped to the caller.
 */
import assert from 'node:assert/strict';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';

const OK_FLOW = {
  name: 'monitored ok',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'double', type: 'transform', data: { expression: 'input.n * 2' } },
    { id: 'end', type: 'end', data: { output: { n: '{{ double.result }}' } } },
  ],
  edges: [
    { source: 'start', target: 'double' },
    { source: 'double', target: 'end' },
  ],
};

const FAILING_FLOW = {
  name: 'monitored failing',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'boom', type: 'code', data: { code: "throw new Error('boom')" }, retry: { max_attempts: 1 } },
    { id: 'end', type: 'end' },
  ],
  edges: [
    { source: 'start', target: 'boom' },
    { source: 'boom', target: 'end' },
  ],
};

const WAITING_FLOW = {
  name: 'monitored waiting',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'approve', type: 'approval', data: { title: 'ok?' } },
    { id: 'end', type: 'end' },
  ],
  edges: [
    { source: 'start', target: 'approve' },
    { source: 'approve', target: 'end', source_handle: 'approved' },
  ],
};

describe('monitoring: /api/v1/monitoring', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let admin: string;
  let ada: string;
  let bob: string;
  const flows: Record<string, string> = {};

  const get = async (path: string, token: string) => {
    const r = await tp.api('GET', `/api/v1/monitoring${path}`, undefined, token);
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const run = async (flowId: string, input: unknown, until?: string[]) => {
    const r = await tp.api('POST', `/api/v1/workflows/${flowId}/execute`, { input_data: input }, ada);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return waitForRun(tp, ada, r.body.id, until);
  };

  before(async () => {
    tp = await startTestPlatform();
    admin = (await tp.login()).token;
    ada = (await tp.login()).token;
    bob = (await tp.login()).token;
    for (const [key, body] of Object.entries({ ok: OK_FLOW, failing: FAILING_FLOW, waiting: WAITING_FLOW })) {
      const r = await tp.api('POST', '/api/v1/workflows', body, ada);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      flows[key] = r.body.id;
    }
    const bobs = await tp.api('POST', '/api/v1/workflows', { ...OK_FLOW, name: 'bob’s' }, bob);
    await tp.api('POST', `/api/v1/workflows/${bobs.body.id}/execute`, { input_data: { n: 1 } }, bob);
    for (const n of [1, 2, 3]) assert.equal((await run(flows.ok, { n })).status, 'completed');
    assert.equal((await run(flows.failing, {})).status, 'failed');
    assert.equal((await run(flows.waiting, {}, ['waiting'])).status, 'waiting');
  });
  after(async () => tp?.stop());

  it('overview: the caller’s flows, runs and pending approvals', async () => {
    const o = await get('/overview', ada);
    assert.deepEqual(o.workflows, { total: 3, enabled: 3, by_status: { draft: 3, published: 0, archived: 0 }, by_trigger: { manual: 3, cron: 0, event: 0, webhook: 0 } });
    assert.equal(o.executions.total, 5);
    assert.equal(o.executions.by_status.completed, 3);
    assert.equal(o.executions.by_status.failed, 1);
    assert.equal(o.executions.by_status.waiting, 1);
    assert.equal(o.executions.active, 1);
    assert.equal(o.executions.success_rate, 0.75);
    assert.equal(typeof o.executions.avg_duration_ms, 'number');
    assert.deepEqual({ ...o.executions.last_24h }, { total: 5, completed: 3, failed: 1, success_rate: 0.75 });
    assert.equal(o.pending_approvals, 1);
    assert.ok(Math.abs(Date.parse(o.generated_at) - Date.now()) < 60_000);

    const bobs = await get('/overview', bob);
    assert.equal(bobs.workflows.total, 1);
    assert.equal(bobs.executions.total, 1);
    assert.equal(bobs.pending_approvals, 0);
    const all = await get('/overview', admin);
    assert.equal(all.workflows.total, 4);
    assert.equal(all.executions.total, 6);
  });

  it('executions: counts and durations by status, flow and day', async () => {
    const s = await get('/executions', ada);
    assert.equal(s.total, 5);
    assert.equal(s.by_status.completed.count, 3);
    assert.equal(s.by_status.failed.count, 1);
    assert.equal(s.by_status.cancelled.count, 0);
    assert.equal(s.by_status.cancelled.avg_duration_ms, null);
    const c = s.by_status.completed;
    assert.ok(c.min_duration_ms <= c.avg_duration_ms && c.avg_duration_ms <= c.max_duration_ms, JSON.stringify(c));
    assert.equal(s.by_status.waiting.avg_duration_ms, null, 'an unfinished run has no duration');

    assert.equal(s.workflows_total, 3);
    assert.deepEqual(
      s.by_workflow.map((w: any) => [w.workflow_id, w.workflow_name, w.total]),
      [
        [flows.ok, 'monitored ok', 3],
        ...[
          [flows.failing, 'monitored failing', 1],
          [flows.waiting, 'monitored waiting', 1],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      ],
    );
    const failing = s.by_workflow.find((w: any) => w.workflow_id === flows.failing);
    assert.equal(failing.by_status.failed, 1);
    assert.equal(failing.success_rate, 0);

    assert.equal(s.by_day.length, 31, '30 days back from now, both ends included');
    const today = s.by_day.at(-1);
    assert.equal(today.date, new Date().toISOString().slice(0, 10));
    assert.equal(today.total, 5);
    assert.equal(today.by_status.completed, 3);
    assert.ok(s.by_day.slice(0, -2).every((d: any) => d.total === 0 && d.avg_duration_ms === null));
    assert.equal(Date.parse(s.until) - Date.parse(s.since), 30 * 86_400_000);

    const one = await get(`/executions?workflow_id=${flows.ok}`, ada);
    assert.equal(one.total, 3);
    assert.equal(one.workflow_id, flows.ok);
    assert.equal((await get(`/executions?workflow_id=${flows.ok}`, bob)).total, 0, 'another user’s flow shows nothing');
    const past = await get('/executions?since=2020-01-01T00:00:00Z&until=2020-01-03T12:00:00Z', ada);
    assert.equal(past.total, 0);
    assert.deepEqual(
      past.by_day.map((d: any) => d.date),
      ['2020-01-01', '2020-01-02', '2020-01-03'],
    );
  });

  it('node types: use and failure rate of every type, most used first', async () => {
    const n = await get('/node-types', ada);
    const by = Object.fromEntries(n.items.map((i: any) => [i.node_type, i]));
    assert.deepEqual([by.start.uses, by.start.completed, by.start.executions, by.start.workflows], [5, 5, 5, 3]);
    assert.deepEqual([by.transform.uses, by.transform.completed, by.transform.failed, by.transform.failure_rate], [3, 3, 0, 0]);
    assert.deepEqual([by.code.uses, by.code.failed, by.code.failure_rate, by.code.workflows], [1, 1, 1, 1]);
    assert.equal(by.code.name, 'Code');
    assert.deepEqual([by.end.uses, by.end.completed], [3, 3], 'the failing run stopped before its end node');
    assert.equal(by.approval.uses, 0, 'a waiting approval has not settled');
    assert.equal(by.sql.uses, 0);
    assert.equal(by.sql.failure_rate, null);
    assert.equal(typeof by.transform.avg_duration_ms, 'number');
    const uses = n.items.map((i: any) => i.uses);
    assert.deepEqual(uses, [...uses].sort((a: number, b: number) => b - a));
    assert.equal(n.total, n.items.length);
    assert.equal((await get('/node-types', bob)).items.find((i: any) => i.node_type === 'code').uses, 0);
    assert.ok((await get('/node-types', admin)).items.find((i: any) => i.node_type === 'start').uses >= 6);
  });

  it('answers bad windows and filters with 400', async () => {
    for (const q of [
      '?since=2025-02-01T00:00:00Z&until=2025-01-01T00:00:00Z',
      '?since=2020-01-01T00:00:00Z&until=2025-01-01T00:00:00Z',
      '?since=last-week',
      '?workflow_id=abc',
      '?until[$gt]=x',
    ]) {
      for (const path of ['/executions', '/node-types']) {
        const r = await tp.api('GET', `/api/v1/monitoring${path}${q}`, undefined, ada);
        assert.equal(r.status, 400, `${path}${q}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'BAD_REQUEST');
      }
    }
    assert.equal((await tp.api('GET', '/api/v1/monitoring/overview')).status, 401);
  });
});
