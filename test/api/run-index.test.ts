/**
 * Issue "Runs you can trust", point 2: the run index and the live events are written by the runs
 * themselves (no API read is needed for the index to learn a run's fate), filters never contradict
 * their items, live streams resume with Last-Event-ID, and the reconciler starts accepted runs.
 */
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { openStream } from '../helpers/sse';
import { until } from '../helpers/wait';
import { compileFlow } from '../../src/nodes/compile-flow';
import { RUN_FLOW, type RunFlowInput } from '../../src/shared/flow';

const TERMINAL = ['completed', 'failed', 'cancelled', 'terminated', 'timed_out'];

describe('run index written by the runs', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let token: string;
  const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    tp.api(method, `/api/v1${path}`, body, token, headers);
  const createFlow = async (flow: unknown) => {
    const r = await api('POST', '/workflows', flow);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };
  const chain = (name: string, delayMs: number) =>
    createFlow({
      name,
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'a', type: 'noop', data: { value: 'A', delay_ms: delayMs } },
        { id: 'b', type: 'transform', data: { expression: 'a.result & "B"' } },
        { id: 'end', type: 'end', data: { output: '{{ b.result }}' } },
      ],
      edges: [
        { source: 'start', target: 'a' },
        { source: 'a', target: 'b' },
        { source: 'b', target: 'end' },
      ],
    });

  before(async () => {
    tp = await startTestPlatform();
    await tp.login();
    token = (await tp.login()).token;
  });
  after(() => tp?.stop());

  it('learns a run\'s end from the run: status, output and consistent times, with no one reading it', async () => {
    const flow = await chain('reported', 200);
    const run = await api('POST', `/workflows/${flow}/execute`, {});
    assert.equal(run.status, 201);
    // Only the database is read: no API request touches the run until it is over.
    const row = await until(async () => {
      const r = await tp.platform.repos.executions.get(run.body.id);
      return r && TERMINAL.includes(r.status) ? r : undefined;
    }, 'the index to show the run ended');
    assert.equal(row.status, 'completed');
    assert.equal(row.output_data, 'AB');
    assert.ok(row.started_at && row.finished_at);
    assert.equal(row.execution_time_ms, Date.parse(row.finished_at) - Date.parse(row.started_at));
    const events = await tp.platform.repos.events.listAfter(run.body.id, 0);
    assert.deepEqual(
      events.map((e) => `${e.type}${e.node_id ? `:${e.node_id}` : ''}`),
      [
        'execution_started',
        'node_started:start',
        'node_completed:start',
        'node_started:a',
        'node_completed:a',
        'node_started:b',
        'node_completed:b',
        'node_started:end',
        'node_completed:end',
        'execution_completed',
      ],
    );
  });

  it('answers ?status= with items in that status only, and a total that counts them', async () => {
    const flow = await chain('filtered', 600);
    for (let i = 0; i < 8; i++) assert.equal((await api('POST', `/workflows/${flow}/execute`, {})).status, 201);
    for (let round = 0; round < 10; round++) {
      for (const status of ['running', 'completed']) {
        const page = await api('GET', `/executions?workflow_id=${flow}&status=${status}&limit=100`);
        assert.equal(page.status, 200);
        assert.ok(page.body.items.every((i: { status: string }) => i.status === status), `${status}: ${page.body.items.map((i: { status: string }) => i.status)}`);
        assert.equal(page.body.total, page.body.items.length);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  });

  it('lists a waiting approval from what the run reported, with its rendered title and approvers', async () => {
    const flow = await createFlow({
      name: 'approve me',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'ok', type: 'approval', data: { title: 'Ship {{ input.what }}?', approvers: ['{{ input.who }}'] } },
      ],
      edges: [{ source: 'start', target: 'ok' }],
    });
    const me = await api('GET', '/auth/me');
    const run = await api('POST', `/workflows/${flow}/execute`, { input_data: { what: 'v2', who: me.body.username } });
    const listed = await until(async () => {
      const page = await api('GET', '/approvals');
      return page.body.items.find((a: { execution_id: string }) => a.execution_id === run.body.id);
    }, 'the approval to be listed');
    assert.equal(listed.title, 'Ship v2?');
    assert.deepEqual(listed.approvers, [me.body.username]);
    assert.equal(listed.can_decide, true);
    const decided = await api('POST', `/executions/${run.body.id}/approvals/ok`, { decision: 'approve' });
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
    await until(async () => {
      const page = await api('GET', '/approvals');
      return !page.body.items.some((a: { execution_id: string }) => a.execution_id === run.body.id);
    }, 'the decided approval to leave the list');
  });

  it('drops the pending approval of a run cancelled while it waits; the end event keeps the start time only', async () => {
    const flow = await createFlow({
      name: 'cancel me',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'gate', type: 'approval', data: { title: 'Go?' } },
      ],
      edges: [{ source: 'start', target: 'gate' }],
    });
    const run = await api('POST', `/workflows/${flow}/execute`, {});
    await until(async () => {
      const page = await api('GET', '/approvals');
      return page.body.items.some((a: { execution_id: string }) => a.execution_id === run.body.id);
    }, 'the approval to be listed');
    assert.equal((await api('POST', `/executions/${run.body.id}/cancel`)).status, 200);
    await until(async () => {
      const page = await api('GET', '/approvals');
      return !page.body.items.some((a: { execution_id: string }) => a.execution_id === run.body.id);
    }, 'the cancelled run\'s approval to leave the list');

    // A run of a flow without approval nodes tells the index it has none to remove.
    const plain = await chain('no approvals', 0);
    const done = await api('POST', `/workflows/${plain}/execute`, { wait: true });
    assert.equal(done.body.status, 'completed');
    const events = await tp.platform.repos.events.listAfter(done.body.id, 0);
    const end = events.find((e) => e.type === 'execution_completed');
    assert.ok(end, 'the run reported its end');
    const data = end.data as Record<string, unknown>;
    assert.equal(data.started_at, done.body.started_at, 'the end carries the start time');
    assert.equal('approvals' in data, false, 'the flag stays out of the stored event');
  });

  it('resumes a live stream after Last-Event-ID: nothing missed, nothing twice', async () => {
    const flow = await createFlow({
      name: 'resume',
      nodes: [
        { id: 'start', type: 'start' },
        ...['n1', 'n2', 'n3', 'n4'].map((id) => ({ id, type: 'noop', data: { value: id, delay_ms: 300 } })),
      ],
      edges: [
        { source: 'start', target: 'n1' },
        { source: 'n1', target: 'n2' },
        { source: 'n2', target: 'n3' },
        { source: 'n3', target: 'n4' },
      ],
    });
    const run = await api('POST', `/workflows/${flow}/execute`, {});
    const url = `${tp.url}/api/v1/executions/${run.body.id}/events/stream`;
    const first = await openStream(url, { authorization: `Bearer ${token}` });
    await first.next('node_completed', (e) => e.data.data.node_id === 'n1');
    first.close();
    await first.done;
    const last = first.events.at(-1)!;
    const second = await openStream(url, { authorization: `Bearer ${token}`, 'last-event-id': last.id });
    await second.done;
    assert.notEqual(second.events[0]?.event, 'state_sync', 'a resumed stream does not start over');
    const key = (e: { event: string; data: any }) => `${e.event}:${e.data.data.node_id ?? e.data.data.id ?? ''}`;
    const seen = [...first.events, ...second.events].filter((e) => e.event !== 'state_sync').map(key);
    assert.equal(new Set(seen).size, seen.length, `no event twice: ${seen.join(', ')}`);
    for (const n of ['n1', 'n2', 'n3', 'n4']) {
      assert.ok(seen.includes(`node_started:${n}`) && seen.includes(`node_completed:${n}`), `${n} in ${seen.join(', ')}`);
    }
    assert.equal(second.events.at(-1)?.event, 'execution_completed');
  });

  it('lists a run the API did not start (as a Temporal Schedule starts them) from the run\'s own report', async () => {
    const flow = await chain('scheduled', 0);
    const stored = await tp.platform.repos.flows.get(flow);
    const input: RunFlowInput = {
      execution_id: '', // a schedule's action starts the same input every time: the run names itself
      flow_id: flow,
      flow_version: stored!.version,
      owner_id: stored!.owner_id,
      trigger: { type: 'schedule', schedule_id: `flow-${flow}` },
      input_data: {},
      definition: compileFlow(stored),
    };
    const workflowId = `scheduled-${flow}-${Date.now()}`;
    await tp.platform.temporal.client.workflow.start(RUN_FLOW.workflow, { taskQueue: tp.platform.config.temporal.taskQueue, workflowId, args: [input] });
    const listed = await until(async () => {
      const page = await api('GET', `/executions?workflow_id=${flow}`);
      const item = page.body.items[0];
      return item && TERMINAL.includes(item.status) ? item : undefined;
    }, 'the scheduled run to be listed and finished');
    assert.match(listed.id, /^[0-9a-f-]{36}$/);
    assert.equal(listed.status, 'completed');
    assert.equal(listed.output_data, 'AB');
    assert.equal(listed.trigger.type, 'schedule');
    assert.ok(listed.trigger.scheduled_at, 'scheduled_at is set');
    assert.equal(listed.trigger.schedule_id, `flow-${flow}`);
    assert.equal(listed.temporal.workflow_id, workflowId, 'the index knows the Temporal workflow the run is');
    const detail = await api('GET', `/executions/${listed.id}`);
    assert.equal(detail.body.steps.length, 4, 'its steps are read from Temporal');
  });

  it('starts runs that were accepted but never handed to Temporal, oldest first', async () => {
    const flow = await chain('accepted', 0);
    const stored = await tp.platform.repos.flows.get(flow);
    const rows = [];
    for (let i = 0; i < 3; i++) {
      rows.push(
        await tp.platform.repos.executions.create({
          flow_id: flow,
          flow_version: stored!.version,
          owner_id: stored!.owner_id,
          trigger: { type: 'manual' },
          input_data: {},
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 2_100)); // past the grace given to the accepting request
    const pass = await tp.platform.runs.reconcileActive();
    assert.ok(pass.started >= 3, JSON.stringify(pass));
    for (const row of rows) {
      const done = await until(async () => {
        const r = await tp.platform.repos.executions.get(row.id);
        return r && TERMINAL.includes(r.status) ? r : undefined;
      }, `run ${row.id} to finish`);
      assert.equal(done.status, 'completed');
      assert.equal(done.output_data, 'AB');
    }
  });
});
