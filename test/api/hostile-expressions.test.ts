/**
 * Issue "Runs you can trust", point 1: expressions that once aborted the whole process (API and
 * worker) now fail their node within the isolated budget, while other runs and the API carry on.
 */
import assert from 'node:assert/strict';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';

const HOSTILE: { name: string; node: { type: string; data: Record<string, unknown> } }[] = [
  { name: 'a 50-million-character pad', node: { type: 'noop', data: { value: "{{ $length($pad('x', 50000000)) }}" } } },
  { name: 'a catastrophic regular expression', node: { type: 'transform', data: { expression: "$match('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', /^(a+)+$/)" } } },
  { name: 'a sort comparator over a range', node: { type: 'transform', data: { expression: '$sort([1..100000], function($a,$b){ $a < $b })' } } },
  { name: 'runaway recursion', node: { type: 'condition', data: { expression: '($f := function($n){ $f($n+1) }; $f(0))' } } },
];

describe('hostile expressions through the API', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let token: string;
  let executeKey: string;

  before(async () => {
    tp = await startTestPlatform();
    ({ token } = await tp.login());
    const key = await tp.api('POST', '/api/v1/auth/api-keys', { name: 'exec', scopes: ['execute'] }, token);
    assert.equal(key.status, 201, JSON.stringify(key.body));
    executeKey = key.body.key;
  });
  after(() => tp?.stop());

  /** A slow, ordinary run that must complete while the hostile ones fail. */
  async function startConcurrentRun(): Promise<string> {
    const flow = await tp.api(
      'POST',
      '/api/v1/workflows',
      {
        name: 'ordinary',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'wait', type: 'noop', data: { delay_ms: 1500, value: 'fine' } },
          { id: 'sum', type: 'transform', data: { expression: '$sum(input.xs) & "/" & wait.result' } },
          { id: 'end', type: 'end', data: { output: '{{ sum.result }}' } },
        ],
        edges: [
          { source: 'start', target: 'wait' },
          { source: 'wait', target: 'sum' },
          { source: 'sum', target: 'end' },
        ],
      },
      token,
    );
    assert.equal(flow.status, 201, JSON.stringify(flow.body));
    const run = await tp.api('POST', `/api/v1/workflows/${flow.body.id}/execute`, { input_data: { xs: [1, 2, 3] } }, token);
    assert.equal(run.status, 201, JSON.stringify(run.body));
    return run.body.id;
  }

  for (const { name, node } of HOSTILE) {
    it(`fails the node of ${name} in under 2 s through /nodes/test, other runs and /health unaffected`, async () => {
      const concurrent = await startConcurrentRun();
      const started = Date.now();
      const test = await tp.api('POST', '/api/v1/nodes/test', { ...node, input: {} }, { apiKey: executeKey });
      const elapsed = Date.now() - started;
      assert.equal(test.status, 200, JSON.stringify(test.body));
      assert.equal(test.body.success, false);
      assert.match(test.body.error.message, /expression exceeded its budget: /);
      assert.equal(test.body.error.type, 'ExpressionBudgetExceeded');
      assert.ok(elapsed < 2_000, `took ${elapsed} ms`);
      assert.equal(test.body.attempt, 1, 'not retried');
      const health = await tp.api('GET', '/health');
      assert.equal(health.status, 200);
      const done = await waitForRun(tp, token, concurrent);
      assert.equal(done.status, 'completed');
      assert.equal(done.output_data, '6/fine');
    });
  }

  it('fails a flow node with a clear error, and on_error decides what the run does next', async () => {
    const flow = await tp.api(
      'POST',
      '/api/v1/workflows',
      {
        name: 'hostile in a flow',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'bad', type: 'transform', data: { expression: "$match('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', /^(a+)+$/)" }, on_error: 'route' },
          { id: 'recover', type: 'set', data: { values: { recovered: '{{ bad.error.message }}' } } },
          { id: 'end', type: 'end', data: { output: '{{ vars.recovered }}' } },
        ],
        edges: [
          { source: 'start', target: 'bad' },
          { source: 'bad', target: 'recover', source_handle: 'error' },
          { source: 'recover', target: 'end' },
        ],
      },
      token,
    );
    assert.equal(flow.status, 201, JSON.stringify(flow.body));
    const started = Date.now();
    const run = await tp.api('POST', `/api/v1/workflows/${flow.body.id}/execute`, { wait: true, timeout_ms: 20_000 }, token);
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.ok(Date.now() - started < 5_000);
    assert.equal(run.body.status, 'completed');
    assert.match(run.body.output_data, /^expression exceeded its budget: ran longer than 1000 ms/);
  });

  it('evaluates cheap expressions in the workflow and others in a local activity', async () => {
    const markers = async (workflowId: string) => {
      const history = await tp.platform.temporal.client.workflow.getHandle(workflowId).fetchHistory();
      return (history.events ?? []).filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
    };
    const cheap = await tp.api('POST', '/api/v1/nodes/test', { type: 'transform', data: { expression: '$sum(input.xs) * 2' }, input: { xs: [1, 2, 3] } }, token);
    assert.equal(cheap.status, 200, JSON.stringify(cheap.body));
    assert.equal(cheap.body.output.result, 12);
    assert.equal(await markers(cheap.body.temporal.workflow_id), 0);
    const mapped = await tp.api('POST', '/api/v1/nodes/test', { type: 'transform', data: { expression: '$map(input.xs, function($v) { $v * 2 })' }, input: { xs: [1, 2, 3] } }, token);
    assert.equal(mapped.status, 200, JSON.stringify(mapped.body));
    assert.deepEqual(mapped.body.output.result, [2, 4, 6]);
    assert.equal(await markers(mapped.body.temporal.workflow_id), 1);
  });
});
