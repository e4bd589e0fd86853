/**
 * Durability of the agent node: its worker process is SIGKILLed while a model call is in flight,
 * after earlier model and tool calls completed. The run finishes on another worker, and the fake
 * model server and the tool server count every call: no completed call is made twice.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chain, startFlow } from '../helpers/engine';
import { completion, startFakeOpenAi, toolCalls, type FakeOpenAi, type SeenRequest } from '../helpers/fake-openai';
import { getTestTemporal, uniqueTaskQueue } from '../helpers/temporal-env';
import { until } from '../helpers/wait';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

/** Which model call of the conversation a request is: one more than the tool-call rounds answered before it. */
const modelCall = (req: SeenRequest) => 1 + (req.body.messages as { role: string }[]).filter((m, i, all) => m.role === 'tool' && all[i + 1]?.role !== 'tool').length;

describe('durability: an agent whose worker dies mid-conversation', function () {
  this.timeout(120_000);
  const children: WorkerProcess[] = [];
  let fake: FakeOpenAi;
  let tools: http.Server;
  const toolHits = new Map<string, number>();

  before(async () => {
    tools = http.createServer((req, res) => {
      toolHits.set(req.url!, (toolHits.get(req.url!) ?? 0) + 1);
      const status = req.url === '/status/d2' ? 'offline' : 'online';
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.url === '/devices' ? { devices: ['d1', 'd2'] } : { status }));
    });
    await new Promise<void>((resolve) => tools.listen(0, '127.0.0.1', resolve));
    fake = await startFakeOpenAi();
  });

  after(async () => {
    for (const c of children) await c.kill();
    await fake?.close();
    tools?.closeAllConnections();
    tools?.close();
  });

  it('repeats no completed model or tool call when the worker is killed during model call 3', async () => {
    const base = `http://127.0.0.1:${(tools.address() as AddressInfo).port}`;
    const t = await getTestTemporal();
    const taskQueue = uniqueTaskQueue('agent-crash');
    const first = spawnWorkerProcess({ address: t.address, taskQueue, namespace: t.namespace });
    // Bundles meanwhile and polls only once released, so the second worker cannot take the held call first.
    const second = spawnWorkerProcess({ address: t.address, taskQueue, namespace: t.namespace, hold: true });
    children.push(first, second);

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let killed = false;
    fake.reply = (req) => {
      switch (modelCall(req)) {
        case 1:
          return toolCalls([['c1', 'http_fetch', { url: `${base}/devices` }]]);
        case 2:
          return toolCalls([
            ['c2', 'http_fetch', { url: `${base}/status/d1` }],
            ['c3', 'http_fetch', { url: `${base}/status/d2` }],
          ]);
        default:
          // The first try of call 3 never answers: its worker dies while it waits.
          return killed ? completion('d2 is offline') : { ...completion('never delivered'), hold: held };
      }
    };
    await first.ready;

    const h = await startFlow(
      t.client,
      taskQueue,
      chain(
        [
          {
            id: 'inspect',
            type: 'agent',
            data: { provider: fake.url, prompt: 'Which devices are offline?', tools: ['http_fetch'] },
            retry: { initial_interval_ms: 200 },
          },
        ],
        '{{ inspect }}',
      ),
    );
    await until(async () => fake.requests.some((r) => modelCall(r) === 3), 'model call 3 to reach the model server', 30_000);
    await first.kill();
    killed = true;
    release();
    second.release();
    await second.ready;

    const { output } = (await h.result()) as { output: any };
    assert.equal(output.result, 'd2 is offline');
    assert.equal(output.iterations, 3);
    const perCall = [1, 2, 3].map((n) => fake.requests.filter((r) => modelCall(r) === n).length);
    // Calls 1 and 2 completed before the kill and were not made again; call 3, in flight, was retried once.
    assert.deepEqual(perCall, [1, 1, 2]);
    assert.deepEqual(Object.fromEntries(toolHits), { '/devices': 1, '/status/d1': 1, '/status/d2': 1 });
    assert.deepEqual(
      output.tool_calls.map((c: any) => [c.id, c.output.body]),
      [
        ['c1', { devices: ['d1', 'd2'] }],
        ['c2', { status: 'online' }],
        ['c3', { status: 'offline' }],
      ],
    );
  });
});
