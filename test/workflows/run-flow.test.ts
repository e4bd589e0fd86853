import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { RUN_FLOW, type CompiledFlow, type RunStatus } from '../../src/shared/flow';
import { hasApprovalNode } from '../../workflows/run-flow';
import { chain, startTestEngine, type TestEngine } from '../helpers/engine';
import { until } from '../helpers/wait';

/** Fails the first `failures` calls of each path with 500, then answers 200 with a JSON body. */
function flakyServer() {
  const calls = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const n = (calls.get(url.pathname) ?? 0) + 1;
    calls.set(url.pathname, n);
    const failures = Number(url.searchParams.get('fail') ?? 0);
    if (url.pathname.startsWith('/status/')) {
      res.writeHead(Number(url.pathname.split('/')[2]), { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'nope' }));
      return;
    }
    if (n <= failures) {
      res.writeHead(500).end('boom');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: url.pathname, call: n }));
  });
  return { server, calls };
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${err}`);
    assert.ok(err.cause instanceof ApplicationFailure);
    return err.cause;
  }
  assert.fail('run should have failed');
}

describe('runFlow interpreter', function () {
  this.timeout(60_000);
  let engine: TestEngine;
  let base: string;
  let flaky: ReturnType<typeof flakyServer>;

  before(async () => {
    engine = await startTestEngine();
    flaky = flakyServer();
    await new Promise<void>((r) => flaky.server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(flaky.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await engine?.stop();
    flaky?.server.close();
  });

  it('runs a chain and takes the output from the end node', async () => {
    const r = await engine.run(
      chain(
        [
          { id: 'a', type: 'noop', data: { value: { n: '{{ input.n }}' } } },
          { id: 'double', type: 'transform', data: { expression: 'a.result.n * 2' } },
        ],
        { answer: '{{ double.result }}', text: 'n is {{ a.result.n }}' },
      ),
      { n: 21 },
    );
    assert.equal(r.status, 'completed');
    assert.deepEqual(r.output, { answer: 42, text: 'n is 21' });
    const a = r.steps.find((s) => s.node_id === 'a');
    assert.equal(a?.status, 'completed');
    assert.equal(a?.attempt, 1);
    assert.deepEqual(a?.output, { result: { n: 21 } });
  });

  it('routes conditions and skips the dead branch, and the join still runs', async () => {
    const flow = {
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'check', type: 'condition', data: { expression: 'input.amount > 100' } },
        { id: 'big', type: 'noop', data: { value: 'big' } },
        { id: 'small', type: 'noop', data: { value: 'small' } },
        { id: 'join', type: 'transform', data: { expression: '$exists(big) ? big.result : small.result' } },
      ],
      edges: [
        { source: 'start', target: 'check' },
        { source: 'check', target: 'big', source_handle: 'true' },
        { source: 'check', target: 'small', source_handle: 'false' },
        { source: 'big', target: 'join' },
        { source: 'small', target: 'join' },
      ],
    };
    const hi = await engine.run(flow, { amount: 500 });
    assert.equal(hi.output, 'big');
    assert.equal(hi.steps.find((s) => s.node_id === 'small')?.status, 'skipped');
    const lo = await engine.run(flow, { amount: 5 });
    assert.equal(lo.output, 'small');
    assert.equal(lo.steps.find((s) => s.node_id === 'big')?.status, 'skipped');
    assert.equal(lo.steps.find((s) => s.node_id === 'join')?.status, 'completed');
  });

  it('runs independent branches in parallel', async () => {
    const flow = {
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'a', type: 'noop', data: { value: 1, delay_ms: 1500 } },
        { id: 'b', type: 'noop', data: { value: 2, delay_ms: 1500 } },
        { id: 'c', type: 'noop', data: { value: 3, delay_ms: 1500 } },
        { id: 'sum', type: 'transform', data: { expression: 'a.result + b.result + c.result' } },
      ],
      edges: [
        { source: 'start', target: 'a' },
        { source: 'start', target: 'b' },
        { source: 'start', target: 'c' },
        { source: 'a', target: 'sum' },
        { source: 'b', target: 'sum' },
        { source: 'c', target: 'sum' },
      ],
    };
    const t0 = Date.now();
    const r = await engine.run(flow);
    assert.equal(r.output, 6);
    // Sequential would take at least 4.5 s.
    assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms`);
  });

  it('picks the first matching switch case, or default', async () => {
    const flow = {
      nodes: [
        { id: 'start', type: 'start' },
        {
          id: 'route',
          type: 'switch',
          data: { cases: [{ name: 'gold', expression: 'input.tier = "gold"' }, { name: 'silver', expression: 'input.tier = "silver"' }] },
        },
        { id: 'g', type: 'noop', data: { value: 'G' } },
        { id: 's', type: 'noop', data: { value: 'S' } },
        { id: 'd', type: 'noop', data: { value: 'D' } },
      ],
      edges: [
        { source: 'start', target: 'route' },
        { source: 'route', target: 'g', source_handle: 'gold' },
        { source: 'route', target: 's', source_handle: 'silver' },
        { source: 'route', target: 'd', source_handle: 'default' },
      ],
    };
    assert.equal((await engine.run(flow, { tier: 'silver' })).output, 'S');
    assert.equal((await engine.run(flow, { tier: 'bronze' })).output, 'D');
  });

  it('retries an HTTP node on 5xx with the node policy and records the attempt', async () => {
    const r = await engine.run(
      chain([
        {
          id: 'fetch',
          type: 'http-request',
          data: { url: `${base}/flaky-1?fail=2` },
          retry: { max_attempts: 4, initial_interval_ms: 50, backoff_coefficient: 1 },
        },
      ]),
    );
    assert.equal(r.status, 'completed');
    const step = r.steps.find((s) => s.node_id === 'fetch');
    assert.equal(step?.attempt, 3);
    assert.deepEqual((step?.output as any).result, { path: '/flaky-1', call: 3 });
  });

  it('fails the run on a 4xx without retrying, naming the node', async () => {
    const f = await failureOf(
      engine.run(
        chain([{ id: 'fetch', type: 'http-request', data: { url: `${base}/status/404` }, retry: { max_attempts: 5, initial_interval_ms: 50 } }]),
      ),
    );
    assert.equal(f.type, 'NodeFailed');
    assert.match(f.message, /node fetch failed/);
    assert.equal(flaky.calls.get('/status/404'), 1);
  });

  it('on_error continue keeps going with the error in the output; route follows the error port', async () => {
    const cont = await engine.run(
      chain([
        { id: 'bad', type: 'http-request', data: { url: `${base}/status/400` }, on_error: 'continue' },
        { id: 'after', type: 'transform', data: { expression: 'bad.error.message' } },
      ]),
    );
    assert.equal(cont.status, 'completed');
    assert.match(String(cont.steps.find((s) => s.node_id === 'after')?.output && (cont.steps.find((s) => s.node_id === 'after')?.output as any).result), /400/);

    const routed = await engine.run({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'bad', type: 'http-request', data: { url: `${base}/status/403` }, on_error: 'route' },
        { id: 'ok', type: 'noop', data: { value: 'ok' } },
        { id: 'handler', type: 'noop', data: { value: 'handled' } },
      ],
      edges: [
        { source: 'start', target: 'bad' },
        { source: 'bad', target: 'ok' },
        { source: 'bad', target: 'handler', source_handle: 'error' },
      ],
    });
    assert.equal(routed.output, 'handled');
    assert.equal(routed.steps.find((s) => s.node_id === 'ok')?.status, 'skipped');
  });

  it('fails the node with the expression and message when an expression throws', async () => {
    const f = await failureOf(engine.run(chain([{ id: 'calc', type: 'transform', data: { expression: '$undefinedFn(1)' } }])));
    assert.match(f.message, /calc/);
    assert.match(f.message, /undefinedFn/);
  });

  it('sets run variables', async () => {
    const r = await engine.run(
      chain([
        { id: 'v', type: 'set', data: { values: { greeting: 'hi {{ input.name }}', n: '{{ 1 + 1 }}' } } },
        { id: 'use', type: 'transform', data: { expression: 'vars.greeting & " x" & vars.n' } },
      ]),
      { name: 'ada' },
    );
    assert.equal(r.output, null === r.output ? null : r.output);
    assert.equal(r.steps.find((s) => s.node_id === 'use')?.output && (r.steps.find((s) => s.node_id === 'use')?.output as any).result, 'hi ada x2');
  });

  it('runs a code node in its sandbox with the context in scope', async () => {
    const r = await engine.run(
      chain([
        { id: 'a', type: 'noop', data: { value: [1, 2, 3] } },
        { id: 'js', type: 'code', data: { code: 'return prev.result.map((x) => x * input.k + a.result.length - 3)' } },
      ]),
      { k: 10 },
    );
    assert.deepEqual((r.steps.find((s) => s.node_id === 'js')?.output as any).result, [10, 20, 30]);
  });

  it('loops over items with a body sub-graph, concurrency and continue-on-error', async () => {
    const r = await engine.run(
      chain([
        {
          id: 'each',
          type: 'loop',
          data: {
            items: '{{ input.items }}',
            concurrency: 3,
            error_handling: 'continue',
            body: {
              nodes: [
                { id: 'check', type: 'condition', data: { expression: 'item > 0' } },
                { id: 'sq', type: 'transform', data: { expression: 'item * item + index' } },
                { id: 'boom', type: 'transform', data: { expression: '$error("negative")' } },
              ],
              edges: [
                { source: 'check', target: 'sq', source_handle: 'true' },
                { source: 'check', target: 'boom', source_handle: 'false' },
              ],
            },
          },
        },
      ]),
      { items: [1, 2, -1, 3] },
    );
    const out = r.steps.find((s) => s.node_id === 'each')?.output as any;
    assert.deepEqual(out.result, [1, 5, null, 12]);
    assert.equal(out.errors.length, 1);
    assert.equal(out.errors[0].index, 2);
  });

  it('stops a loop at the first failing item when error_handling is stop', async () => {
    const f = await failureOf(
      engine.run(
        chain([
          {
            id: 'each',
            type: 'loop',
            data: {
              items: '{{ [1, 0, 2] }}',
              body: { nodes: [{ id: 'inv', type: 'transform', data: { expression: 'item = 0 ? $error("zero") : 1 / item' } }], edges: [] },
            },
          },
        ]),
      ),
    );
    assert.match(f.message, /loop item 1 failed at node inv: .*zero/);
  });

  it('terminates as completed or failed from a terminate node', async () => {
    const early = (status: string, message: string) => ({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'stop', type: 'terminate', data: { status, message } },
        { id: 'slow', type: 'noop', data: { delay_ms: 5000 } },
        { id: 'end', type: 'end' },
      ],
      edges: [
        { source: 'start', target: 'stop' },
        { source: 'start', target: 'slow' },
        { source: 'slow', target: 'end' },
      ],
    });
    const t0 = Date.now();
    const ok = await engine.run(early('completed', 'done early'));
    assert.equal(ok.status, 'completed');
    assert.equal(ok.output, 'done early');
    assert.ok(Date.now() - t0 < 4000, 'the parallel branch was cut short');
    assert.equal(ok.steps.find((s) => s.node_id === 'end')?.status, 'pending');
    const f = await failureOf(engine.run(early('failed', 'bad input')));
    assert.equal(f.type, 'FlowTerminated');
    assert.equal(f.message, 'bad input');
  });

  it('waits on a durable timer', async () => {
    const t0 = Date.now();
    const r = await engine.run(chain([{ id: 'wait', type: 'delay', data: { duration_ms: 1200 } }]));
    assert.ok(Date.now() - t0 >= 1200);
    assert.ok(((r.steps.find((s) => s.node_id === 'wait')?.output as any).result.waited_ms as number) >= 1200);
  });

  it('waits for an approval update from an allowed approver and validates it', async () => {
    const flow = {
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'ok', type: 'approval', data: { title: 'Ship it?', approvers: ['alice'] } },
        { id: 'yes', type: 'noop', data: { value: 'shipped' } },
        { id: 'no', type: 'noop', data: { value: 'cancelled' } },
      ],
      edges: [
        { source: 'start', target: 'ok' },
        { source: 'ok', target: 'yes', source_handle: 'approved' },
        { source: 'ok', target: 'no', source_handle: 'rejected' },
      ],
    };
    const h = await engine.start(flow);
    await until(async () => (await h.query<RunStatus>(RUN_FLOW.statusQuery)).status === 'waiting', 'the run to wait', 5_000);
    const status = await h.query<RunStatus>(RUN_FLOW.statusQuery);
    assert.equal(status.status, 'waiting');
    assert.equal(status.waiting_for?.[0].kind, 'approval');
    await assert.rejects(
      h.executeUpdate(RUN_FLOW.approveUpdate, { args: [{ node_id: 'ok', decision: 'approve', user: { id: 'u2', username: 'mallory' } }] }),
      (err: any) => err.cause?.type === 'NotAllowed',
    );
    await assert.rejects(
      h.executeUpdate(RUN_FLOW.approveUpdate, { args: [{ node_id: 'nope', decision: 'approve', user: { id: 'u1', username: 'alice' } }] }),
      (err: any) => err.cause?.type === 'NotWaiting',
    );
    const decision: any = await h.executeUpdate(RUN_FLOW.approveUpdate, {
      args: [{ node_id: 'ok', decision: 'reject', comment: 'not today', user: { id: 'u1', username: 'alice' } }],
    });
    assert.equal(decision.decision, 'rejected');
    const r: any = await h.result();
    assert.equal(r.output, 'cancelled');
    await assert.rejects(
      h.executeUpdate(RUN_FLOW.approveUpdate, { args: [{ node_id: 'ok', decision: 'approve', user: { id: 'u1', username: 'alice' } }] }),
    );
  });

  it('takes the timeout port when nobody approves in time', async () => {
    const r = await engine.run({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'ok', type: 'approval', data: { timeout_ms: 500 } },
        { id: 'late', type: 'noop', data: { value: 'timed out' } },
      ],
      edges: [
        { source: 'start', target: 'ok' },
        { source: 'ok', target: 'late', source_handle: 'timeout' },
      ],
    });
    assert.equal(r.output, 'timed out');
  });

  it('waits for a named event with its data, or times out', async () => {
    const flow = chain([{ id: 'ev', type: 'wait-event', data: { name: 'payment', timeout_ms: 20_000 } }], '{{ ev.result.amount }}');
    const h = await engine.start(flow);
    await h.signal(RUN_FLOW.eventSignal, { name: 'other', data: { amount: 1 } });
    await h.signal(RUN_FLOW.eventSignal, { name: 'payment', data: { amount: 99 } });
    assert.equal(((await h.result()) as any).output, 99);
  });

  it('pauses (no new node starts) and resumes', async () => {
    const h = await engine.start(
      chain([
        { id: 'a', type: 'noop', data: { delay_ms: 800 } },
        { id: 'b', type: 'noop', data: { value: 'b' } },
      ]),
    );
    // Pause once `a` runs: it finishes, and `b` must not start while the run is paused.
    await until(async () => (await h.query<RunStatus>(RUN_FLOW.statusQuery)).current_nodes.includes('a'), 'a to run', 2_500);
    await h.signal(RUN_FLOW.pauseSignal);
    // Long enough for `a` (800 ms) to finish and `b` to have started, had the pause not held it.
    await new Promise((r) => setTimeout(r, 1500));
    const s = await h.query<RunStatus>(RUN_FLOW.statusQuery);
    assert.equal(s.paused, true);
    assert.equal(s.status, 'paused');
    assert.equal(s.steps.find((x) => x.node_id === 'a')?.status, 'completed');
    assert.equal(s.steps.find((x) => x.node_id === 'b')?.status, 'pending');
    await h.signal(RUN_FLOW.resumeSignal);
    const r: any = await h.result();
    assert.equal(r.status, 'completed');
  });

  it('cancellation reaches a running activity and cancels the run', async () => {
    const h = await engine.start(chain([{ id: 'slow', type: 'noop', data: { delay_ms: 30_000 } }]));
    await until(async () => (await h.query<RunStatus>(RUN_FLOW.statusQuery)).current_nodes.includes('slow'), 'slow to run', 5_000);
    const t0 = Date.now();
    await h.cancel();
    await assert.rejects(h.result());
    assert.equal((await h.describe()).status.name, 'CANCELLED');
    assert.ok(Date.now() - t0 < 10_000);
    await until(
      async () => engine.logs.entries.some((l) => l.node_id === 'slow' && /cancelled/.test(l.message)),
      'the activity to see the cancellation',
      5_000,
    );
  });

  it('runs a sub-flow as a child workflow', async () => {
    const childId = '0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d';
    engine.subFlows.set(childId, chain([{ id: 'x', type: 'transform', data: { expression: 'input.v + 1' } }], '{{ x.result }}'));
    const r = await engine.run(chain([{ id: 'sub', type: 'sub-flow', data: { workflow_id: childId, input: { v: '{{ input.v }}' } } }], '{{ sub.result }}'), { v: 41 });
    assert.equal(r.output, 42);
  });

  it('passes pause and resume on to a running sub-flow', async () => {
    const childId = '1c2d3e4f-5061-4728-9a3b-4c5d6e7f8091';
    engine.subFlows.set(
      childId,
      chain([
        { id: 'a', type: 'noop', data: { delay_ms: 800 } },
        { id: 'b', type: 'noop', data: { value: 'from the child' } },
      ], '{{ b.result }}'),
    );
    const h = await engine.start(chain([{ id: 'sub', type: 'sub-flow', data: { workflow_id: childId } }], '{{ sub.result }}'));
    const childWorkflowId = await until(
      async () => (await h.describe()).raw.pendingChildren?.[0]?.workflowId ?? undefined,
      'the sub-flow to start',
    );
    const child = engine.client.workflow.getHandle(childWorkflowId);
    await until(async () => (await child.query<RunStatus>(RUN_FLOW.statusQuery)).current_nodes.includes('a'), 'node a of the sub-flow to run');
    await h.signal(RUN_FLOW.pauseSignal);
    // Long enough for the child's `a` (800 ms) to finish and its `b` to have started, had the pause not reached it.
    await new Promise((r) => setTimeout(r, 1500));
    const s = await child.query<RunStatus>(RUN_FLOW.statusQuery);
    assert.equal(s.status, 'paused');
    assert.equal(s.steps.find((x) => x.node_id === 'a')?.status, 'completed');
    assert.equal(s.steps.find((x) => x.node_id === 'b')?.status, 'pending', 'the child went on while its parent was paused');
    await h.signal(RUN_FLOW.resumeSignal);
    const r: any = await h.result();
    assert.equal(r.output, 'from the child');
  });

  it('fails readably, without retrying the workflow task, when the definition is broken', async () => {
    const h = await engine.start(chain([]), {}, { definition: { nodes: [{ id: 'x', type: 'noop', data: {} } as any], edges: [] } });
    const f = await failureOf(h.result());
    assert.equal(f.type, 'InvalidDefinition');
    assert.match(f.message, /node x/);
  });
});

describe('hasApprovalNode (what a run\'s end tells the index)', () => {
  const flow = (...nodes: { id: string; type: string; data?: Record<string, unknown> }[]) =>
    ({ nodes: nodes.map((n) => ({ data: {}, ...n })), edges: [] }) as unknown as CompiledFlow;

  it('finds approval nodes at the top level and in loop bodies, nested ones included', () => {
    assert.equal(hasApprovalNode(flow({ id: 'start', type: 'start' }, { id: 'work', type: 'noop' })), false);
    assert.equal(hasApprovalNode(flow({ id: 'start', type: 'start' }, { id: 'gate', type: 'approval' })), true);
    const inner = flow({ id: 'gate', type: 'approval' });
    const outer = flow({ id: 'each', type: 'loop', data: { body: inner } });
    assert.equal(hasApprovalNode(flow({ id: 'each', type: 'loop', data: { body: outer } })), true);
    assert.equal(hasApprovalNode(flow({ id: 'each', type: 'loop', data: { body: flow({ id: 'w', type: 'noop' }) } })), false);
    assert.equal(hasApprovalNode(flow({ id: 'each', type: 'loop' })), false, 'a loop without a body yields its items');
  });
});
