/**
 * Issue "Runs you can trust", point 3: while Temporal is down the API says so fast and loses
 * nothing (an accepted run answers 202 with its id and starts later, approvals are still listed,
 * health is 503 at once); after Temporal comes back the API recovers within seconds and runs,
 * timers and approvals that were in flight carry on. The dev server is killed with SIGKILL and
 * restarted on the same port and database file; the recovery time is printed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findTemporalCli } from '../../src/temporal/cli';
import { getFreePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/wait';

const TERMINAL = ['completed', 'failed', 'cancelled', 'terminated', 'timed_out'];

describe('Temporal down and back', function () {
  this.timeout(180_000);
  let dir: string;
  let port: number;
  let cliPath: string;
  let server: DevServer | undefined;
  let tp: TestPlatform;
  let token: string;
  const api = (method: string, p: string, body?: unknown) => tp.api(method, `/api/v1${p}`, body, token);
  const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
    const t0 = Date.now();
    const r = await fn();
    return [r, Date.now() - t0];
  };
  const startServer = () =>
    startDevServer({ cliPath, port, headless: true, namespace: 'default', dbFile: path.join(dir, 'temporal.sqlite') });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-outage-'));
    port = await getFreePort();
    cliPath = await findTemporalCli({ temporal: {} });
    server = await startServer();
    tp = await startTestPlatform({ TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'default' });
    await tp.login();
    token = (await tp.login()).token;
  });
  after(async () => {
    await tp?.stop();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails fast and loses nothing while Temporal is down, then recovers within seconds', async () => {
    const flow = async (body: unknown) => {
      const r = await api('POST', '/workflows', body);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id as string;
    };
    const approval = await flow({
      name: 'gate',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'ok', type: 'approval', data: { title: 'Go on?' } },
        { id: 'end', type: 'end', data: { output: '{{ ok.result.decision }}' } },
      ],
      edges: [
        { source: 'start', target: 'ok' },
        { source: 'ok', target: 'end', source_handle: 'approved' },
      ],
    });
    const timer = await flow({
      name: 'timer',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'wait', type: 'delay', data: { duration_ms: 3_000 } },
        { id: 'end', type: 'end', data: { output: 'woke' } },
      ],
      edges: [
        { source: 'start', target: 'wait' },
        { source: 'wait', target: 'end' },
      ],
    });
    const quick = await flow({
      name: 'quick',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'end', type: 'end', data: { output: '{{ input.n * 2 }}' } },
      ],
      edges: [{ source: 'start', target: 'end' }],
    });

    const waiting = (await api('POST', `/workflows/${approval}/execute`, {})).body.id;
    const sleeping = (await api('POST', `/workflows/${timer}/execute`, {})).body.id;
    await until(async () => (await api('GET', '/approvals')).body.items.some((a: { execution_id: string }) => a.execution_id === waiting), 'the approval to wait');

    process.kill(server!.pid, 'SIGKILL');
    server = undefined;
    await new Promise((r) => setTimeout(r, 300));

    const [health, healthMs] = await timed(() => tp.api('GET', '/health'));
    assert.equal(health.status, 503);
    assert.ok(healthMs < 2_000, `health answered in ${healthMs} ms`);

    const [accepted, acceptMs] = await timed(() => api('POST', `/workflows/${quick}/execute`, { input_data: { n: 21 } }));
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.equal(accepted.body.status, 'pending');
    assert.ok(accepted.body.id, 'an accepted run has its id');
    assert.ok(acceptMs < 2_000, `execute answered in ${acceptMs} ms`);

    const [again, againMs] = await timed(() => api('POST', `/workflows/${quick}/execute`, { input_data: { n: 1 }, wait: true }));
    assert.equal(again.status, 202);
    assert.ok(againMs < 2_000, `execute with wait answered in ${againMs} ms`);

    const [approvals, listMs] = await timed(() => api('GET', '/approvals'));
    assert.equal(approvals.status, 200);
    assert.ok(approvals.body.items.some((a: { execution_id: string }) => a.execution_id === waiting), 'approvals are all listed');
    assert.ok(listMs < 1_000, `approvals answered in ${listMs} ms`);

    const [detail, detailMs] = await timed(() => api('GET', `/executions/${waiting}`));
    assert.equal(detail.status, 200);
    assert.equal(detail.body.temporal.reachable, false, 'the detail says it comes from the index only');
    assert.ok(detailMs < 2_000, `detail answered in ${detailMs} ms`);

    const [decide, decideMs] = await timed(() => api('POST', `/executions/${waiting}/approvals/ok`, { decision: 'approve' }));
    assert.equal(decide.status, 503);
    assert.ok(decideMs < 2_000, `decision answered in ${decideMs} ms`);

    // Back on the same port and database file.
    server = await startServer();
    const back = Date.now();
    await until(async () => (await tp.api('GET', '/health')).status === 200, 'the API to see Temporal again', 30_000);
    const recovered = await api('POST', `/workflows/${quick}/execute`, { input_data: { n: 2 } });
    const recoveryMs = Date.now() - back;
    assert.equal(recovered.status, 201, JSON.stringify(recovered.body));
    console.log(`      API recovered ${recoveryMs} ms after Temporal was reachable again`);
    assert.ok(recoveryMs < 10_000, `recovered in ${recoveryMs} ms`);

    const finished = async (id: string) =>
      until(async () => {
        const r = await api('GET', `/executions/${id}`);
        return TERMINAL.includes(r.body.status) ? r.body : undefined;
      }, `run ${id} to finish`, 30_000);
    assert.equal((await finished(accepted.body.id)).output_data, 42, 'the run accepted while down ran once Temporal was back');
    assert.equal((await finished(recovered.body.id)).output_data, 4);
    assert.equal((await finished(sleeping)).output_data, 'woke', 'the timer in flight fired');
    const decided = await until(async () => {
      const r = await api('POST', `/executions/${waiting}/approvals/ok`, { decision: 'approve' });
      return r.status === 200 ? r : undefined;
    }, 'the waiting approval to take a decision');
    assert.equal(decided.body.decision, 'approved');
    assert.equal((await finished(waiting)).output_data, 'approved');
    assert.equal((await finished(again.body.id)).output_data, 2);
    const runs = await api('GET', `/executions?workflow_id=${quick}&limit=100`);
    assert.equal(runs.body.total, 3, 'each accepted run ran once, and nothing else ran');
    assert.ok(runs.body.items.every((r: { status: string }) => r.status === 'completed'));
  });
});
