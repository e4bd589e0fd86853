/**
 * Issue "Runs you can trust", point 1: in the embedded default the worker runs in a supervised
 * child process, so a worker that dies (here: SIGKILL) never takes the API down; it is restarted,
 * and runs accepted meanwhile complete.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { compileFlow } from '../../src/nodes/compile-flow';
import { workflowIdFor, type RunFlowInput } from '../../src/shared/flow';
import type { RunStart } from '../../src/temporal/run-start';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/wait';

/** A run of start → double → end, as the launcher would hand it to a starter. */
function doubling(n: number): RunStart {
  const input: RunFlowInput = {
    execution_id: randomUUID(),
    flow_id: randomUUID(),
    flow_version: 1,
    owner_id: 'owner-1',
    trigger: { type: 'test' },
    input_data: { n },
    definition: compileFlow({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'double', type: 'transform', data: { expression: 'input.n * 2' } },
      ],
      edges: [{ source: 'start', target: 'double' }],
    }),
  };
  return { workflowId: workflowIdFor(input.execution_id), input, summary: 'doubling v1' };
}

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

  it('starts runs through the worker process, which Temporal hands their first task to with the start call', async () => {
    const starter = tp.platform.supervisor?.eagerStarter();
    assert.ok(starter, 'a running worker process starts runs');
    const start = doubling(21);
    const started = await starter(start);
    assert.equal(started.eager, true, 'started eagerly');
    const result = await tp.platform.temporal.client.workflow.getHandle(start.workflowId).result();
    assert.equal(result.output, 42);
    // A second start of the same workflow id is refused, as through the API's own client.
    await assert.rejects(starter(start), { name: 'WorkflowExecutionAlreadyStartedError' });
  });

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

describe('worker in the API process', function () {
  this.timeout(60_000);
  let tp: TestPlatform;
  before(async () => {
    tp = await startTestPlatform({ WORKER_PROCESS: 'inline' });
  });
  after(() => tp?.stop());

  it('starts runs eagerly on its own connection', async () => {
    const start = doubling(4);
    const started = await tp.platform.startOnWorker(start);
    assert.equal(started.eager, true);
    const result = await tp.platform.temporal.client.workflow.getHandle(start.workflowId).result();
    assert.equal(result.output, 8);
  });
});
