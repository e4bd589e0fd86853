import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { memoryLogSink } from '../../activities/log-sink';
import { createNodeServices } from '../../src/nodes/node-services';
import { RUN_FLOW, type RunFlowResult } from '../../src/shared/flow';
import { findTemporalCli } from '../../src/temporal/cli';
import { DEV_SERVER_DYNAMIC_CONFIG, getFreePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { createWorker } from '../../src/worker/create-worker';
import { chain, startFlow } from '../helpers/engine';
import { until } from '../helpers/wait';

/** Every event of a workflow's history, following continue-as-new into each next run. */
async function historyRuns(client: Client, workflowId: string, firstRunId: string): Promise<number[]> {
  const lengths: number[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: { events?: any[] | null } = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events: any[] = history.events ?? [];
    lengths.push(events.length);
    const last: any = events[events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return lengths;
}

describe('history stays bounded', function () {
  this.timeout(180_000);
  let server: DevServer;
  let connection: Connection;
  let native: NativeConnection;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `bounds-${randomUUID()}`;

  before(async () => {
    server = await startDevServer({
      cliPath: await findTemporalCli({ temporal: {} }),
      port: await getFreePort(),
      headless: true,
      namespace: 'default',
      // Temporal suggests continue-as-new at 4,096 events by default; a low threshold makes the test quick.
      dynamicConfig: { ...DEV_SERVER_DYNAMIC_CONFIG, 'limit.historyCount.suggestContinueAsNew': 200 },
    });
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection });
    native = await NativeConnection.connect({ address: server.address });
    worker = await createWorker({
      connection: native,
      namespace: 'default',
      taskQueue,
      services: createNodeServices(),
      logSink: memoryLogSink(),
      prepareSubFlow: async () => {
        throw new Error('no sub-flows here');
      },
    });
    running = worker.run();
  });

  after(async () => {
    worker?.shutdown();
    await running?.catch(() => undefined);
    await native?.close();
    await connection?.close();
    await server?.stop();
  });

  const start = (graph: unknown, inputData: unknown = {}) => startFlow(client, taskQueue, graph, inputData);

  it('continues as new when Temporal suggests it, carrying outputs, vars and steps', async () => {
    const nodes: Record<string, unknown>[] = [{ id: 'v', type: 'set', data: { values: { base: 1000 } } }];
    for (let i = 0; i < 80; i++) {
      // Remote activities: local ones record one marker each and would not fill the history.
      nodes.push({ id: `n${i}`, type: 'noop', execution: 'remote', data: { value: i === 0 ? '{{ vars.base }}' : `{{ n${i - 1}.result + 1 }}` } });
    }
    const h = await start(chain(nodes, { last: '{{ n79.result }}', first: '{{ n0.result }}', base: '{{ vars.base }}' }));
    const result = (await h.result()) as RunFlowResult;
    assert.deepEqual(result.output, { last: 1079, first: 1000, base: 1000 });
    assert.equal(result.steps.filter((s) => s.status === 'completed').length, 83);
    const runs = await historyRuns(client, h.workflowId, h.firstExecutionRunId);
    assert.ok(runs.length >= 2, `expected continue-as-new, got runs ${runs.join(',')}`);
    for (const n of runs) assert.ok(n < 400, `a run's history has ${n} events`);
  });

  it('completes a loop over 10,000 items in child batches, no history near the limit', async () => {
    const flow = chain(
      [
        {
          id: 'each',
          type: 'loop',
          data: {
            items: '{{ [1..10000] }}',
            concurrency: 4,
            body: { nodes: [{ id: 'sq', type: 'transform', data: { expression: 'item * 2' } }], edges: [] },
          },
        },
      ],
      { count: '{{ $count(each.result) }}', sum: '{{ $sum(each.result) }}' },
    );
    const h = await start(flow);
    const result = (await h.result()) as RunFlowResult;
    assert.deepEqual(result.output, { count: 10000, sum: 10000 * 10001 });
    const parent = await historyRuns(client, h.workflowId, h.firstExecutionRunId);
    assert.ok(parent[0] < 1000, `parent history has ${parent[0]} events`);
    const children = await client.workflow.list({ query: `WorkflowId STARTS_WITH "${h.workflowId}/"` });
    let count = 0;
    for await (const c of children) {
      count++;
      assert.ok(c.historyLength < 5000, `${c.workflowId} has ${c.historyLength} events`);
    }
    assert.ok(count >= 10, `expected child batches, found ${count}`);
  });

  it('pauses the running loop batch with the run and starts no new one until it resumes', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `b${i}`);
    const body = {
      // Remote: local activities' markers reach history only when the workflow task completes.
      nodes: ids.map((id, i) => ({ id, type: 'noop', execution: 'remote', data: { value: i } })),
      edges: ids.slice(1).map((id, i) => ({ source: ids[i], target: id })),
    };
    // 40 body nodes: 10 items a batch, so 30 items make 3 sequential batches of 400 activities each.
    const h = await start(
      chain([{ id: 'each', type: 'loop', data: { items: '{{ [1..30] }}', body } }], '{{ $count(each.result) }}'),
    );
    const children = async () => {
      let n = 0;
      for await (const _c of client.workflow.list({ query: `WorkflowId STARTS_WITH "${h.workflowId}/"` })) n++;
      return n;
    };
    await until(async () => (await children()) > 0, 'the first loop batch to start');
    await h.signal(RUN_FLOW.pauseSignal);
    const batch = client.workflow.getHandle(`${h.workflowId}/each/batch-0`);
    // The forwarded pause lands, the activity in flight finishes, then the batch's history stands still.
    await new Promise((r) => setTimeout(r, 1000));
    const before = await batch.describe();
    await new Promise((r) => setTimeout(r, 1500));
    const after = await batch.describe();
    assert.equal(after.status.name, 'RUNNING');
    assert.equal(after.historyLength, before.historyLength, 'the paused batch went on running nodes');
    assert.equal(await children(), 1, 'a new batch started while paused');
    await h.signal(RUN_FLOW.resumeSignal);
    const result = (await h.result()) as RunFlowResult;
    assert.equal(result.output, 30);
    assert.equal(await children(), 3);
  });

  it('runs a loop with an activity body over 500 items in batches', async () => {
    const h = await start(
      chain([
        {
          id: 'each',
          type: 'loop',
          data: {
            items: '{{ [1..500] }}',
            concurrency: 10,
            body: { nodes: [{ id: 'echo', type: 'noop', data: { value: '{{ item }}' } }], edges: [] },
          },
        },
      ], '{{ $sum(each.result) }}'),
    );
    const result = (await h.result()) as RunFlowResult;
    assert.equal(result.output, (500 * 501) / 2);
  });
});
