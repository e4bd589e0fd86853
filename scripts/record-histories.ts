/**
 * Records the workflow histories that test/workflows/replay.test.ts replays against the current
 * interpreter. Runs a representative flow per node type and behaviour through the real worker on a
 * Temporal dev server and writes each run's history (and its child workflows' histories) to
 * `test/fixtures/histories/<name>.json`.
 *
 *   npx tsx scripts/record-histories.ts                 # record the flows that have no fixture yet
 *   npx tsx scripts/record-histories.ts --only delay,switch --force   # re-record some
 *   npx tsx scripts/record-histories.ts --list          # names and descriptions
 *
 * Existing fixtures are kept unless `--force`: they are histories of runs made by older interpreter
 * code, which is exactly what the replay test must keep accepting (see docs/engine.md).
 * Uses the test helpers' dev server (or `TEMPORAL_TEST_ADDRESS`).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { RUN_FLOW, type RunStatus } from '../src/shared/flow';
import { chain, startTestEngine, type TestEngine } from '../test/helpers/engine';
import { until } from '../test/helpers/wait';
import { stopTestTemporal } from '../test/helpers/temporal-env';

/** Where the fixtures live. */
export const HISTORIES_DIR = path.resolve(__dirname, '../test/fixtures/histories');

/** One recorded history as stored on disk. */
export interface HistoryFixture {
  /** File name without `.json`. */
  name: string;
  description: string;
  workflow_type: string;
  /** Needed for replay: the interpreter reads its own workflow id. */
  workflow_id: string;
  /** How the run ended. */
  outcome: 'completed' | 'failed' | 'cancelled';
  recorded_at: string;
  /** Standard Temporal JSON history (as `temporal workflow show --output json` writes it). */
  history: { events: unknown[] };
}

interface Ctx {
  engine: TestEngine;
  /** Base URL of the loopback HTTP server. */
  http: string;
}

interface Recording {
  name: string;
  description: string;
  graph: (ctx: Ctx) => unknown;
  input?: unknown;
  /** Interacts with the run while it is going (approvals, events, pause…). */
  drive?: (h: WorkflowHandle, ctx: Ctx) => Promise<void>;
  outcome?: HistoryFixture['outcome'];
  /** Checks the result so a fixture never records a wrong behaviour. */
  check?: (output: any) => boolean;
}

const SUB_FLOW_ID = '5d0c7a52-9a43-4d61-9a1e-0a3c2f1b7e11';
const PAUSED_SUB_FLOW_ID = '8e6f1a0b-2c3d-4e5f-9a7b-1c2d3e4f5a6b';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(h: WorkflowHandle, reached: (s: RunStatus) => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (reached(await h.query<RunStatus>(RUN_FLOW.statusQuery))) return;
    await sleep(50);
  }
  throw new Error(`${h.workflowId} never reached the expected state`);
}

const waitingFor = (kind: string) => (s: RunStatus) => s.waiting_for?.some((w) => w.kind === kind) ?? false;

const approvalFlow = (data: Record<string, unknown>) => ({
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'prepare', type: 'noop', data: { value: 'prepared' } },
    { id: 'ok', type: 'approval', data: { title: 'Ship it?', ...data } },
    { id: 'yes', type: 'transform', data: { expression: '"approved by " & ok.result.decided_by' } },
    { id: 'no', type: 'transform', data: { expression: '"rejected: " & ok.result.comment' } },
    { id: 'late', type: 'noop', data: { value: 'timed out' } },
  ],
  edges: [
    { source: 'start', target: 'prepare' },
    { source: 'prepare', target: 'ok' },
    { source: 'ok', target: 'yes', source_handle: 'approved' },
    { source: 'ok', target: 'no', source_handle: 'rejected' },
    { source: 'ok', target: 'late', source_handle: 'timeout' },
  ],
});

const decide = (decision: 'approve' | 'reject', comment?: string) => async (h: WorkflowHandle) => {
  await waitFor(h, waitingFor('approval'));
  await h.executeUpdate(RUN_FLOW.approveUpdate, {
    args: [{ node_id: 'ok', decision, comment, user: { id: 'u1', username: 'alice' } }],
  });
};

/** The flows whose histories are recorded: at least one per node type and per interpreter behaviour. */
export const RECORDINGS: Recording[] = [
  {
    name: 'chain',
    description: 'start → noop → transform → end with a templated output',
    graph: () =>
      chain(
        [
          { id: 'a', type: 'noop', data: { value: { n: '{{ input.n }}' } } },
          { id: 'double', type: 'transform', data: { expression: 'a.result.n * 2' } },
        ],
        { answer: '{{ double.result }}', text: 'n is {{ a.result.n }}' },
      ),
    input: { n: 21 },
    check: (o) => o.answer === 42,
  },
  {
    name: 'parallel-branches',
    description: 'three activity branches in parallel joined by a transform',
    graph: () => ({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'a', type: 'noop', data: { value: 1, delay_ms: 100 } },
        { id: 'b', type: 'noop', data: { value: 2 } },
        { id: 'c', type: 'noop', data: { value: 3, delay_ms: 50 } },
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
    }),
    check: (o) => o === 6,
  },
  {
    name: 'http-request',
    description: 'http-request to a loopback server, one call retried after a 500',
    graph: ({ http: base }) =>
      chain(
        [
          { id: 'get', type: 'http-request', data: { url: `${base}/items?n={{ input.n }}` } },
          {
            id: 'flaky',
            type: 'http-request',
            data: { method: 'POST', url: `${base}/flaky?fail=1`, body: { from: '{{ get.result.path }}' } },
            retry: { max_attempts: 3, initial_interval_ms: 50, backoff_coefficient: 1 },
          },
        ],
        { status: '{{ get.status }}', calls: '{{ flaky.result.call }}' },
      ),
    input: { n: 3 },
    check: (o) => o.status === 200 && o.calls === 2,
  },
  {
    name: 'condition-join',
    description: 'condition with a dead branch (skipped) and a join that still runs',
    graph: () => ({
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
    }),
    input: { amount: 5 },
    check: (o) => o === 'small',
  },
  {
    name: 'switch',
    description: 'switch picking a named case',
    graph: () => ({
      nodes: [
        { id: 'start', type: 'start' },
        {
          id: 'route',
          type: 'switch',
          data: {
            cases: [
              { name: 'gold', expression: 'input.tier = "gold"' },
              { name: 'silver', expression: 'input.tier = "silver"' },
            ],
          },
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
    }),
    input: { tier: 'silver' },
    check: (o) => o === 'S',
  },
  {
    name: 'set-vars-code',
    description: 'set (run variables) and a code node reading them',
    graph: () =>
      chain(
        [
          { id: 'v', type: 'set', data: { values: { greeting: 'hi {{ input.name }}', k: 10 } } },
          {
            id: 'js',
            type: 'code',
            data: { code: 'return [1, 2, 3].map((x) => x * vars.k).concat([vars.greeting])' },
          },
        ],
        '{{ js.result }}',
      ),
    input: { name: 'ada' },
    check: (o) => JSON.stringify(o) === '[10,20,30,"hi ada"]',
  },
  {
    name: 'delay',
    description: 'delay node: a durable timer between two activities',
    graph: () =>
      chain(
        [
          { id: 'a', type: 'noop', data: { value: 1 } },
          { id: 'wait', type: 'delay', data: { duration_ms: 300 } },
          { id: 'b', type: 'noop', data: { value: 2 } },
        ],
        '{{ wait.result.waited_ms >= 300 }}',
      ),
    check: (o) => o === true,
  },
  {
    name: 'loop-inline',
    description:
      'inline loop (concurrency 2, continue on error) with an activity and a failing item in its body',
    graph: () =>
      chain(
        [
          {
            id: 'each',
            type: 'loop',
            data: {
              items: '{{ input.items }}',
              concurrency: 2,
              error_handling: 'continue',
              body: {
                nodes: [
                  { id: 'check', type: 'condition', data: { expression: 'item > 0' } },
                  { id: 'echo', type: 'noop', data: { value: '{{ item * item + index }}' } },
                  { id: 'boom', type: 'transform', data: { expression: '$error("negative")' } },
                ],
                edges: [
                  { source: 'check', target: 'echo', source_handle: 'true' },
                  { source: 'check', target: 'boom', source_handle: 'false' },
                ],
              },
            },
          },
        ],
        '{{ each }}',
      ),
    input: { items: [1, 2, -1, 3] },
    check: (o) => JSON.stringify(o.result) === '[1,5,null,12]' && o.errors.length === 1,
  },
  {
    name: 'loop-batches',
    description: 'large loop (150 items × 3 body nodes) split into child runLoopBatch workflows',
    graph: () =>
      chain(
        [
          {
            id: 'each',
            type: 'loop',
            data: {
              items: '{{ [1..150] }}',
              concurrency: 2,
              body: {
                nodes: [
                  { id: 'even', type: 'condition', data: { expression: 'item % 2 = 0' } },
                  { id: 'half', type: 'transform', data: { expression: 'item / 2' } },
                  { id: 'same', type: 'transform', data: { expression: 'item' } },
                ],
                edges: [
                  { source: 'even', target: 'half', source_handle: 'true' },
                  { source: 'even', target: 'same', source_handle: 'false' },
                ],
              },
            },
          },
        ],
        '{{ $sum(each.result) }}',
      ),
    // 75 odd items (sum 5625) + 75 halves of evens (sum 2850)
    check: (o) => o === 8475,
  },
  {
    name: 'loop-stop',
    description: 'loop with error_handling stop: the run fails at the first failing item',
    graph: () =>
      chain([
        {
          id: 'each',
          type: 'loop',
          data: {
            items: '{{ [1, 0, 2] }}',
            body: {
              nodes: [
                {
                  id: 'inv',
                  type: 'transform',
                  data: { expression: 'item = 0 ? $error("zero") : 1 / item' },
                },
              ],
              edges: [],
            },
          },
        },
      ]),
    outcome: 'failed',
  },
  {
    name: 'sub-flow',
    description: 'sub-flow node: a child runFlow (prepareSubFlow activity + child workflow)',
    graph: ({ engine }) => {
      engine.subFlows.set(
        SUB_FLOW_ID,
        chain([{ id: 'x', type: 'transform', data: { expression: 'input.v + 1' } }], '{{ x.result }}'),
      );
      return chain(
        [{ id: 'sub', type: 'sub-flow', data: { workflow_id: SUB_FLOW_ID, input: { v: '{{ input.v }}' } } }],
        '{{ sub.result }}',
      );
    },
    input: { v: 41 },
    check: (o) => o === 42,
  },
  {
    name: 'approval-approved',
    description: 'approval decided by the approve update (approved port)',
    graph: () => approvalFlow({ approvers: ['alice'] }),
    drive: decide('approve'),
    check: (o) => o === 'approved by alice',
  },
  {
    name: 'approval-rejected',
    description: 'approval rejected by the update (rejected port)',
    graph: () => approvalFlow({ approvers: ['alice'] }),
    drive: decide('reject', 'not today'),
    check: (o) => o === 'rejected: not today',
  },
  {
    name: 'approval-timeout',
    description: 'approval nobody decides: the timeout port after timeout_ms',
    graph: () => approvalFlow({ timeout_ms: 300 }),
    check: (o) => o === 'timed out',
  },
  {
    name: 'wait-event',
    description: 'wait-event receiving its event by signal (an unrelated event is ignored)',
    graph: () =>
      chain(
        [{ id: 'ev', type: 'wait-event', data: { name: 'payment', timeout_ms: 60_000 } }],
        '{{ ev.result.amount }}',
      ),
    async drive(h) {
      await waitFor(h, waitingFor('event'));
      await h.signal(RUN_FLOW.eventSignal, { name: 'other', data: { amount: 1 } });
      await h.signal(RUN_FLOW.eventSignal, { name: 'payment', data: { amount: 99 } });
    },
    check: (o) => o === 99,
  },
  {
    name: 'wait-event-timeout',
    description: 'wait-event whose event never comes: the timeout port',
    graph: () => ({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'ev', type: 'wait-event', data: { name: 'never', timeout_ms: 300 } },
        { id: 'got', type: 'noop', data: { value: 'got it' } },
        { id: 'gave-up', type: 'noop', data: { value: 'gave up' } },
      ],
      edges: [
        { source: 'start', target: 'ev' },
        { source: 'ev', target: 'got' },
        { source: 'ev', target: 'gave-up', source_handle: 'timeout' },
      ],
    }),
    check: (o) => o === 'gave up',
  },
  {
    name: 'terminate-completed',
    description: 'terminate node ending the run as completed while a parallel activity runs (cancelled)',
    graph: () => ({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'slow', type: 'noop', data: { delay_ms: 5000 } },
        { id: 'stop', type: 'terminate', data: { status: 'completed', message: 'done early' } },
        { id: 'end', type: 'end' },
      ],
      edges: [
        { source: 'start', target: 'slow' },
        { source: 'start', target: 'stop' },
        { source: 'slow', target: 'end' },
      ],
    }),
    check: (o) => o === 'done early',
  },
  {
    name: 'terminate-failed',
    description: 'terminate node ending the run as failed',
    graph: () => ({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'stop', type: 'terminate', data: { status: 'failed', message: 'bad input' } },
      ],
      edges: [{ source: 'start', target: 'stop' }],
    }),
    outcome: 'failed',
  },
  {
    name: 'on-error-continue',
    description: 'a failing http-request with on_error continue: the next node reads the error',
    graph: ({ http: base }) =>
      chain(
        [
          { id: 'bad', type: 'http-request', data: { url: `${base}/status/400` }, on_error: 'continue' },
          { id: 'after', type: 'transform', data: { expression: 'bad.error.message' } },
        ],
        '{{ after.result }}',
      ),
    check: (o) => /400/.test(String(o)),
  },
  {
    name: 'on-error-route',
    description:
      'a failing http-request with on_error route: the error port runs, the default port is skipped',
    graph: ({ http: base }) => ({
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
    }),
    check: (o) => o === 'handled',
  },
  {
    name: 'failed-node',
    description: 'an http-request failing with a 404 (not retried) fails the run',
    graph: ({ http: base }) =>
      chain([
        {
          id: 'fetch',
          type: 'http-request',
          data: { url: `${base}/status/404` },
          retry: { max_attempts: 3, initial_interval_ms: 50 },
        },
      ]),
    outcome: 'failed',
  },
  {
    name: 'pause-resume',
    description: 'paused while an activity runs (the next node waits), then resumed',
    graph: () =>
      chain(
        [
          { id: 'a', type: 'noop', data: { value: 'a', delay_ms: 300 } },
          { id: 'b', type: 'noop', data: { value: 'b' } },
        ],
        '{{ b.result }}',
      ),
    async drive(h) {
      await h.signal(RUN_FLOW.pauseSignal);
      await waitFor(h, (s) => s.paused && s.steps.some((x) => x.node_id === 'a' && x.status === 'completed'));
      await h.signal(RUN_FLOW.resumeSignal);
    },
    check: (o) => o === 'b',
  },
  {
    name: 'pause-sub-flow',
    description: 'paused while a sub-flow runs: the pause and the resume are passed on to the child (forward-pause-to-children)',
    graph: ({ engine }) => {
      engine.subFlows.set(
        PAUSED_SUB_FLOW_ID,
        chain(
          [
            { id: 'a', type: 'noop', data: { value: 'a', delay_ms: 500 } },
            { id: 'b', type: 'noop', data: { value: 'b' } },
          ],
          '{{ b.result }}',
        ),
      );
      return chain([{ id: 'sub', type: 'sub-flow', data: { workflow_id: PAUSED_SUB_FLOW_ID } }], '{{ sub.result }}');
    },
    async drive(h, { engine }) {
      const childId = await until(
        async () => (await h.describe()).raw.pendingChildren?.[0]?.workflowId ?? undefined,
        'the sub-flow to start',
      );
      const child = engine.client.workflow.getHandle(childId);
      await waitFor(child, (s) => s.current_nodes.includes('a'));
      await h.signal(RUN_FLOW.pauseSignal);
      await waitFor(child, (s) => s.paused && s.steps.some((x) => x.node_id === 'a' && x.status === 'completed'));
      await h.signal(RUN_FLOW.resumeSignal);
    },
    check: (o) => o === 'b',
  },
  {
    name: 'isolated-expressions',
    description: 'expressions placed outside the workflow (a lambda, a regex) run as local activities; a cheap one inline',
    graph: () =>
      chain(
        [
          { id: 'doubled', type: 'transform', data: { expression: '$map(input.xs, function($v) { $v * 2 })' } },
          { id: 'matched', type: 'noop', data: { value: '{{ $match("abc123", /[0-9]+/).match }}' } },
          { id: 'big', type: 'transform', data: { expression: '$sum(doubled.result) > 10' } },
        ],
        { doubled: '{{ doubled.result }}', matched: '{{ matched.result }}', big: '{{ big.result }}' },
      ),
    input: { xs: [1, 2, 3] },
    check: (o) => o.matched === '123' && o.big === true && o.doubled.length === 3,
  },
  {
    name: 'inline-fallback',
    description: 'an inline expression that runs out of the inline step budget is evaluated isolated instead',
    graph: () => chain([{ id: 'total', type: 'transform', data: { expression: '$count(input.xs[$ > 0])' } }], '{{ total.result }}'),
    input: { xs: Array.from({ length: 2_000 }, () => 1) },
    check: (o) => o === 2_000,
  },
  {
    name: 'long-control-chain',
    description: '70 transforms in a row: the interpreter ends the activation with a local activity every 64 control nodes',
    graph: () =>
      chain(
        Array.from({ length: 70 }, (_, i) => ({
          id: `t${i}`,
          type: 'transform',
          data: { expression: i === 0 ? '1' : `t${i - 1}.result + 1` },
        })),
        '{{ t69.result }}',
      ),
    check: (o) => o === 70,
  },
  {
    name: 'cancelled',
    description: 'a run cancelled while it waits on a long delay',
    graph: () => chain([{ id: 'wait', type: 'delay', data: { duration_ms: 600_000 } }]),
    async drive(h) {
      await waitFor(h, waitingFor('delay'));
      await h.cancel();
    },
    outcome: 'cancelled',
  },
];

/** Loopback server for the http-request flows: `/status/<code>`, `/flaky?fail=n`, anything else echoes. */
function startHttpServer(): Promise<http.Server> {
  const calls = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const n = (calls.get(url.pathname) ?? 0) + 1;
    calls.set(url.pathname, n);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname.startsWith('/status/'))
      return json(Number(url.pathname.split('/')[2]), { error: 'nope' });
    if (n <= Number(url.searchParams.get('fail') ?? 0)) return json(500, { error: 'boom' });
    json(200, { path: url.pathname, call: n, query: Object.fromEntries(url.searchParams) });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function outcomeOf(
  h: WorkflowHandle,
): Promise<{ outcome: HistoryFixture['outcome']; output?: unknown }> {
  try {
    const r = (await h.result()) as { output: unknown };
    return { outcome: 'completed', output: r.output };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    return { outcome: err.cause?.name === 'CancelledFailure' ? 'cancelled' : 'failed' };
  }
}

/** Child workflows a history started, in order: their histories are recorded too. */
function childWorkflowIds(history: History): { id: string; type: string }[] {
  return (history.events ?? [])
    .map((e) => e.childWorkflowExecutionStartedEventAttributes)
    .filter((a) => a?.workflowExecution?.workflowId)
    .map((a) => ({ id: a!.workflowExecution!.workflowId!, type: a!.workflowType?.name ?? 'unknown' }));
}

function writeFixture(f: HistoryFixture): void {
  fs.writeFileSync(path.join(HISTORIES_DIR, `${f.name}.json`), `${JSON.stringify(f, null, 1)}\n`);
}

async function record(r: Recording, ctx: Ctx): Promise<string[]> {
  const h = await ctx.engine.start(r.graph(ctx), r.input ?? {});
  await r.drive?.(h, ctx);
  const { outcome, output } = await outcomeOf(h);
  const expected = r.outcome ?? 'completed';
  if (outcome !== expected) throw new Error(`${r.name}: expected ${expected}, got ${outcome}`);
  if (r.check && !r.check(output)) throw new Error(`${r.name}: unexpected output ${JSON.stringify(output)}`);

  const written: string[] = [];
  const save = async (
    name: string,
    description: string,
    workflowId: string,
    type: string,
    end: HistoryFixture['outcome'],
  ) => {
    const history = await ctx.engine.client.workflow.getHandle(workflowId).fetchHistory();
    const children = childWorkflowIds(history);
    writeFixture({
      name,
      description,
      workflow_type: type,
      workflow_id: workflowId,
      outcome: end,
      recorded_at: new Date().toISOString(),
      history: JSON.parse(historyToJSON(history)),
    });
    written.push(name);
    for (const [i, child] of children.entries()) {
      await save(
        `${name}.child-${i + 1}`,
        `child ${child.type} of ${name}`,
        child.id,
        child.type,
        'completed',
      );
    }
  };
  await save(r.name, r.description, h.workflowId, 'runFlow', outcome);
  return written;
}

function parseArgs(argv: string[]) {
  const only = argv
    .find((a, i) => argv[i - 1] === '--only')
    ?.split(',')
    .filter(Boolean);
  return { only, force: argv.includes('--force'), list: argv.includes('--list') };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const r of RECORDINGS) console.log(`${r.name.padEnd(22)} ${r.description}`);
    return;
  }
  const unknown = args.only?.filter((n) => !RECORDINGS.some((r) => r.name === n)) ?? [];
  if (unknown.length) throw new Error(`unknown recording(s): ${unknown.join(', ')} (see --list)`);
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  const todo = RECORDINGS.filter((r) => (args.only ? args.only.includes(r.name) : true)).filter((r) => {
    const exists = fs.existsSync(path.join(HISTORIES_DIR, `${r.name}.json`));
    if (exists && !args.force) console.log(`kept      ${r.name} (exists; --force to re-record)`);
    return !exists || args.force;
  });
  if (todo.length === 0) return;

  const server = await startHttpServer();
  const engine = await startTestEngine();
  const ctx: Ctx = { engine, http: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  try {
    for (const r of todo) {
      const t0 = Date.now();
      const files = await record(r, ctx);
      console.log(`recorded  ${files.join(', ')} (${Date.now() - t0} ms)`);
    }
  } finally {
    await engine.stop();
    await stopTestTemporal();
    server.close();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
