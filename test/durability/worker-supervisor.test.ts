/**
 * Issue "Runs you can trust", point 1: in the embedded default the worker runs in a supervised
 * child process, so a worker that dies (here: SIGKILL) never takes the API down; it is restarted,
 * and runs accepted meanwhile complete.
 */
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/wait';

describe('supervised worker process', function () {
  this.timeout(180_000);
  let tp: TestPlatform;
  let token: string;
  const api = (method: string, p: string, body?: unknown) => tp.api(method, `/api/v1${p}`, body, token);

  before(async () => {
    tp = await startTestPlatform({ WORKER_PROCESS: 'child' });
    await tp.login();
    token = (await tp.login()).token;
  });
  after(() => tp?.stop());

  it('keeps the API answering while the worker is down, restarts the worker, and the runs complete', async () => {
    const sup = tp.platform.supervisor;
    assert.ok(sup, 'the worker runs supervised');
    assert.equal(tp.platform.worker, undefined, 'no worker in the API process');
    const health = await tp.api('GET', '/health');
    assert.equal(health.status, 200, JSON.stringify(health.body));
    assert.equal(health.body.worker.state, 'running');

    const flow = await api('POST', '/workflows', {
      name: 'survives',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'double', type: 'transform', data: { expression: 'input.n * 2' } },
      ],
      edges: [{ source: 'start', target: 'double' }],
    });
    assert.equal(flow.status, 201);
    const first = await api('POST', `/workflows/${flow.body.id}/execute`, { input_data: { n: 1 }, wait: true });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.output_data, 2);

    const pid = sup.status().pid!;
    process.kill(pid, 'SIGKILL');
    await until(async () => sup.status().status !== 'running' || sup.status().pid !== pid, 'the supervisor to notice');

    // The API is untouched: it answers, and accepts runs that wait for a worker.
    const down = await tp.api('GET', '/health');
    assert.equal(down.status, 503);
    assert.notEqual(down.body.worker.state, 'running');
    assert.equal((await api('GET', '/workflows')).status, 200);
    const queued = await api('POST', `/workflows/${flow.body.id}/execute`, { input_data: { n: 20 } });
    assert.equal(queued.status, 201);

    await until(async () => sup.status().status === 'running', 'the worker to be restarted', 120_000);
    assert.equal(sup.status().restarts, 1);
    assert.notEqual(sup.status().pid, pid);
    const done = await until(async () => {
      const r = await api('GET', `/executions/${queued.body.id}`);
      return r.body.status === 'completed' ? r.body : undefined;
    }, 'the queued run to complete', 60_000);
    assert.equal(done.output_data, 40);
    assert.equal((await tp.api('GET', '/health')).status, 200);
  });
});
