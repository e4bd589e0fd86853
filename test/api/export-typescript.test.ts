/**
 * `GET /workflows/{id}/export?format=typescript`: the exported file type-checks against the
 * installed @temporalio/workflow types, runs on a worker of its own (a test task queue, no
 * activities) while its node activities and sub-flows run on the platform's worker, and gives the
 * same output as the platform's runFlow for the same flow and input.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import ts from 'typescript';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';
import { getTestTemporal, uniqueTaskQueue } from '../helpers/temporal-env';
import { until } from '../helpers/wait';

const REPO = path.resolve(__dirname, '../..');

/** Flows exported by the test, each with the input both runs get. */
const FLOWS: Record<string, { flow: Record<string, unknown>; input: Record<string, unknown> }> = {
  branches: {
    input: { amount: 250 },
    flow: {
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'big', type: 'condition', data: { expression: 'input.amount > 100' } },
        { id: 'approve_fast', type: 'set', data: { values: { route: 'fast' } } },
        { id: 'review', type: 'set', data: { values: { route: 'review', at: '{{ input.amount }} units' } } },
        { id: 'done', type: 'end', data: { output: { route: '{{ vars.route }}', big: '{{ big.result }}', vars: '{{ vars }}' } } },
      ],
      edges: [
        { source: 'start', target: 'big' },
        { source: 'big', target: 'review', source_handle: 'true' },
        { source: 'big', target: 'approve_fast', source_handle: 'false' },
        { source: 'review', target: 'done' },
        { source: 'approve_fast', target: 'done' },
      ],
    },
  },
  // Parallel activities (code, noop with a hyphenated id) joined by a node that reads `prev`.
  join: {
    input: { x: 21, word: 'hi' },
    flow: {
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'double', type: 'code', data: { code: 'return { twice: input.x * 2, from: prev.result.word }' } },
        { id: 'echo-word', type: 'noop', label: 'Echo', data: { value: 'said {{ input.word }}' } },
        { id: 'merge', type: 'transform', data: { expression: '{ "keys": $keys(prev), "twice": double.result.twice, "echo": echo-word.result }' } },
        { id: 'end', type: 'end' },
      ],
      edges: [
        { source: 'start', target: 'double' },
        { source: 'start', target: 'echo-word' },
        { source: 'double', target: 'merge' },
        { source: 'echo-word', target: 'merge' },
        { source: 'merge', target: 'end' },
      ],
    },
  },
  switching: {
    input: { points: 250 },
    flow: {
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'tier', type: 'switch', data: { cases: [{ name: 'gold', expression: 'input.points >= 1000' }, { name: 'silver', expression: 'input.points >= 100' }] } },
        { id: 'gold', type: 'transform', data: { expression: '"20% off"' } },
        { id: 'silver', type: 'transform', data: { expression: '"5% off"' } },
        { id: 'none', type: 'transform', data: { expression: '"no discount"' } },
        { id: 'end', type: 'end', data: { output: { offer: '{{ prev.result }}', tier: '{{ tier.result }}' } } },
      ],
      edges: [
        { source: 'start', target: 'tier' },
        { source: 'tier', target: 'gold', source_handle: 'gold' },
        { source: 'tier', target: 'silver', source_handle: 'silver' },
        { source: 'tier', target: 'none', source_handle: 'default' },
        { source: 'gold', target: 'end' },
        { source: 'silver', target: 'end' },
        { source: 'none', target: 'end' },
      ],
    },
  },
  // A loop whose code body fails for one item (error_handling: continue), then on_error: route.
  looping: {
    input: { orders: [{ qty: 2, price: 5 }, { qty: -1, price: 9 }, { qty: 1, price: 7 }], text: '{not json' },
    flow: {
      nodes: [
        { id: 'start', type: 'start' },
        {
          id: 'each',
          type: 'loop',
          data: {
            items: '{{ input.orders }}',
            concurrency: 2,
            error_handling: 'continue',
            body: {
              nodes: [
                { id: 'total', type: 'code', data: { code: "if (item.qty < 0) throw new Error('bad quantity'); return item.qty * item.price" }, retry: { max_attempts: 1 } },
                { id: 'line', type: 'transform', data: { expression: '"#" & $string(index) & ": " & $string(total.result)' } },
              ],
              edges: [{ source: 'total', target: 'line' }],
            },
          },
        },
        { id: 'parse', type: 'code', data: { code: 'return JSON.parse(input.text)' }, retry: { max_attempts: 1 }, on_error: 'route' },
        { id: 'fallback', type: 'transform', data: { expression: '{ "error": parse.error.message, "parsed": null }' } },
        { id: 'ok', type: 'transform', data: { expression: '{ "parsed": parse.result }' } },
        { id: 'end', type: 'end', data: { output: { lines: '{{ each.result }}', errors: '{{ each.errors }}', parse: '{{ prev.result }}' } } },
      ],
      edges: [
        { source: 'start', target: 'each' },
        { source: 'each', target: 'parse' },
        { source: 'parse', target: 'fallback', source_handle: 'error' },
        { source: 'parse', target: 'ok' },
        { source: 'fallback', target: 'end' },
        { source: 'ok', target: 'end' },
      ],
    },
  },
  approving: {
    input: { release: 'v2' },
    flow: {
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'pause', type: 'delay', data: { duration_ms: 50 } },
        { id: 'ok', type: 'approval', data: { title: 'Ship {{ input.release }}?', timeout_ms: 60000, default_outcome: 'rejected' } },
        { id: 'shipped', type: 'transform', data: { expression: '"shipped " & input.release' } },
        { id: 'held', type: 'transform', data: { expression: '"held"' } },
        { id: 'end', type: 'end', data: { output: { what: '{{ prev.result }}', decision: '{{ ok.result.decision }}', comment: '{{ ok.result.comment }}', by: '{{ ok.result.decided_by }}' } } },
      ],
      edges: [
        { source: 'start', target: 'pause' },
        { source: 'pause', target: 'ok' },
        { source: 'ok', target: 'shipped', source_handle: 'approved' },
        { source: 'ok', target: 'held', source_handle: 'rejected' },
        { source: 'shipped', target: 'end' },
        { source: 'held', target: 'end' },
      ],
    },
  },
};

/** The child of the sub-flow test: a stored flow the exported parent runs on the platform. */
const CHILD = {
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'square', type: 'code', data: { code: 'return input.n * input.n' } },
    { id: 'end', type: 'end', data: { output: { squared: '{{ square.result }}' } } },
  ],
  edges: [
    { source: 'start', target: 'square' },
    { source: 'square', target: 'end' },
  ],
};

const subFlowParent = (childId: string) => ({
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'call', type: 'sub-flow', data: { workflow_id: childId, input: { n: '{{ input.n }}' } } },
    { id: 'end', type: 'end', data: { output: { child: '{{ call.result }}', version: '{{ call.workflow_version }}' } } },
  ],
  edges: [
    { source: 'start', target: 'call' },
    { source: 'call', target: 'end' },
  ],
});

describe('export as TypeScript: the exported workflow runs on the platform workers like runFlow', function () {
  this.timeout(180_000);
  let tp: TestPlatform;
  let token: string;
  let username: string;
  let dir: string;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const taskQueue = uniqueTaskQueue('exported');
  /** Flow name → {id, file, function name}. */
  const exported = new Map<string, { id: string; code: string; fn: string }>();

  const api = (method: string, url: string, body?: unknown) => tp.api(method, `/api/v1${url}`, body, token);

  async function create(name: string, flow: Record<string, unknown>): Promise<string> {
    const r = await api('POST', '/workflows', { name, ...flow });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id;
  }

  async function exportTs(id: string): Promise<{ status: number; body: any; headers: Headers }> {
    return api('GET', `/workflows/${id}/export?format=typescript`);
  }

  before(async () => {
    tp = await startTestPlatform();
    const login = await tp.login();
    token = login.token;
    username = login.user.username;
    dir = path.join(REPO, '.tmp', `export-ts-${randomUUID()}`);
    fs.mkdirSync(dir, { recursive: true });
    const childId = await create('square', CHILD);
    const all = { ...FLOWS, 'sub flow': { flow: subFlowParent(childId), input: { n: 7 } } };
    for (const [name, { flow }] of Object.entries(all)) {
      const id = await create(name, flow);
      const r = await exportTs(id);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const fn = /export async function (\w+)\(/.exec(r.body)?.[1];
      assert.ok(fn, r.body);
      exported.set(name, { id, code: r.body, fn });
      fs.writeFileSync(path.join(dir, `${fn}.ts`), r.body);
    }
    fs.writeFileSync(path.join(dir, 'index.ts'), [...exported.values()].map(({ fn }) => `export { ${fn} } from './${fn}';`).join('\n'));
  });

  after(async () => {
    worker?.shutdown();
    await running;
    await tp?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers a TypeScript file that names where it came from and the activities it calls', async () => {
    const { id, code } = exported.get('join') as { id: string; code: string };
    const r = await exportTs(id);
    assert.match(r.headers.get('content-type') ?? '', /typescript/);
    assert.match(r.headers.get('content-disposition') ?? '', /attachment; filename="?join\.ts"?/);
    assert.match(code, new RegExp(`flow ${id}, version 1`));
    assert.match(code, new RegExp(`const PLATFORM_TASK_QUEUE = '${tp.platform.config.temporal.taskQueue}'`));
    // Parallel branches are a Promise.all; the hyphenated node id is quoted for JSONata.
    assert.match(code, /await Promise\.all\(\[/);
    assert.match(code, /callNode\(\s*\{ id: 'echo-word', type: 'noop', label: 'Echo' \}/);
    assert.match(code, /"echo": `echo-word`\.result/);
    // Conditions are ifs, switches are switches, loops call the body per item.
    assert.match(exported.get('branches')?.code ?? '', /if \(ctx\.big\.result\) \{/);
    assert.match(exported.get('switching')?.code ?? '', /switch \(ctx\.tier\.result\) \{/);
    assert.match(exported.get('looping')?.code ?? '', /activityId: `each\/\$\{index\}\/total`/);
  });

  it('type-checks against the installed @temporalio/workflow and jsonata types', () => {
    const files = [...exported.values()].map(({ fn }) => path.join(dir, `${fn}.ts`));
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      skipLibCheck: true,
      types: [],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      return `${d.file ? path.basename(d.file.fileName) : ''}:${where ? where.line + 1 : ''} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    assert.deepEqual(problems, []);
  });

  describe('on a worker of its own', () => {
    before(async function () {
      this.timeout(120_000);
      const t = await getTestTemporal();
      const workflowBundle = await bundleWorkflowCode({ workflowsPath: path.join(dir, 'index.ts'), logger: new DefaultLogger('ERROR') });
      worker = await Worker.create({ connection: t.nativeConnection, namespace: t.namespace, taskQueue, workflowBundle });
      running = worker.run();
    });

    /** Runs the flow on the platform (runFlow) and as exported code, both with `input`. */
    async function bothRuns(name: string, input: unknown) {
      const { id, fn } = exported.get(name) as { id: string; fn: string };
      const t = await getTestTemporal();
      const [platform, ejected] = await Promise.all([
        api('POST', `/workflows/${id}/execute`, { input_data: input, wait: true }),
        t.client.workflow.execute(fn, { taskQueue, workflowId: `exported-${randomUUID()}`, args: [input] }),
      ]);
      assert.equal(platform.status, 200, JSON.stringify(platform.body));
      assert.equal(platform.body.status, 'completed', JSON.stringify(platform.body));
      return { platform: platform.body.output_data, ejected };
    }

    for (const name of ['branches', 'join', 'switching', 'looping']) {
      it(`${name}: gives runFlow's output for the same input`, async () => {
        const { platform, ejected } = await bothRuns(name, FLOWS[name].input);
        assert.deepEqual(ejected, platform);
      });
    }

    it('looping: really ran the body per item and routed the parse error (not a vacuous match)', async () => {
      const { ejected } = await bothRuns('looping', FLOWS.looping.input);
      const out = ejected as { lines: unknown[]; errors: { index: number; node_id: string; error: { message: string } }[]; parse: any };
      assert.deepEqual(out.lines, ['#0: 10', null, '#2: 7']);
      assert.equal(out.errors.length, 1);
      assert.equal(out.errors[0].index, 1);
      assert.equal(out.errors[0].node_id, 'total');
      assert.match(out.errors[0].error.message, /bad quantity/);
      assert.equal(out.parse.parsed, null);
      assert.match(out.parse.error, /expecting property name/);
    });

    it('sub-flow: the child flow runs on the platform as a run of its own, with the same output', async () => {
      const { platform, ejected } = await bothRuns('sub flow', { n: 7 });
      assert.deepEqual(platform, { child: { squared: 49 }, version: 1 });
      assert.deepEqual(ejected, platform);
      const childId = (await api('GET', '/workflows?search=square')).body.items[0].id;
      const runs = await api('GET', `/executions?workflow_id=${childId}`);
      assert.ok(runs.body.total >= 2, JSON.stringify(runs.body));
    });

    it('approval: waits for the same `approve` update the platform answers, and follows its port', async () => {
      const { id, fn } = exported.get('approving') as { id: string; fn: string };
      const t = await getTestTemporal();
      const input = FLOWS.approving.input;
      const started = await api('POST', `/workflows/${id}/execute`, { input_data: input });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const handle = await t.client.workflow.start(fn, { taskQueue, workflowId: `exported-${randomUUID()}`, args: [input] });

      await waitForRun(tp, token, started.body.id, ['waiting']);
      const decided = await api('POST', `/executions/${started.body.id}/approvals/ok`, { decision: 'approve', comment: 'go' });
      assert.equal(decided.status, 200, JSON.stringify(decided.body));

      const request = { node_id: 'ok', decision: 'approve', comment: 'go', user: { id: 'someone', username } };
      // Before the node waits, the validator refuses the update as the platform's does (NotWaiting).
      const answer = await until(async () => {
        try {
          return await handle.executeUpdate<{ decision: string }, [typeof request]>('approve', { args: [request] });
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError && /not waiting/.test(String(err.cause?.message))) return undefined;
          throw err;
        }
      }, () => 'the exported approval never waited');
      assert.equal(answer.decision, 'approved');
      // A second decision is refused (the run has moved on, or already completed).
      await assert.rejects(handle.executeUpdate('approve', { args: [request] }), /not waiting|already completed/);

      const platform = (await waitForRun(tp, token, started.body.id)).output_data;
      const ejected = await handle.result();
      assert.deepEqual(platform, { what: 'shipped v2', decision: 'approved', comment: 'go', by: username });
      assert.deepEqual(ejected, platform);
    });
  });

  describe('what cannot be exported', () => {
    it('refuses an agent node with a 422 naming it', async () => {
      const id = await create('agentic', {
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'think', type: 'agent', data: { prompt: 'hi', tools: [] } },
        ],
        edges: [{ source: 'start', target: 'think' }],
      });
      const r = await exportTs(id);
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.match(r.body.error.message, /node think/);
      assert.match(r.body.error.details['nodes[1].type'], /agent nodes .* sub-flow/);
    });

    it('refuses branches that cross instead of meeting at one node', async () => {
      // a and b both feed c and d: no nesting of blocks writes that.
      const id = await create('crossing', {
        nodes: ['start', 'a', 'b', 'c', 'd', 'e'].map((n) => ({ id: n, type: n === 'start' ? 'start' : 'transform', data: n === 'start' ? {} : { expression: '1' } })),
        edges: [
          { source: 'start', target: 'a' },
          { source: 'start', target: 'b' },
          { source: 'a', target: 'c' },
          { source: 'b', target: 'c' },
          { source: 'a', target: 'd' },
          { source: 'b', target: 'd' },
          { source: 'c', target: 'e' },
          { source: 'd', target: 'e' },
        ],
      });
      const r = await exportTs(id);
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.match(r.body.error.message, /node [cd] joins branches/);
    });
  });
});
