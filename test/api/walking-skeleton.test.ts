import assert from 'node:assert/strict';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';

const helloFlow = {
  name: 'hello',
  description: 'greets',
  nodes: [
    { id: 'start', type: 'start', data: { input_schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } },
    { id: 'greet', type: 'noop', label: 'Greet', data: { value: 'Hello, {{ input.name }}' } },
    { id: 'end', type: 'end', data: { output: { greeting: '{{ greet.result }}' } } },
  ],
  edges: [
    { source: 'start', target: 'greet' },
    { source: 'greet', target: 'end' },
  ],
};

describe('walking skeleton: API → Temporal → worker → API', function () {
  this.timeout(60_000);
  let tp: TestPlatform;
  let token: string;

  before(async () => {
    tp = await startTestPlatform();
    token = (await tp.login()).token;
  });
  after(async () => tp?.stop());

  it('reports the health of the API, the database and Temporal', async () => {
    const r = await tp.api('GET', '/health');
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ok');
    assert.equal(r.body.database.status, 'ok');
    assert.equal(r.body.temporal.status, 'ok');
  });

  it('stores a flow, runs it on Temporal and reports status, output and steps', async () => {
    const created = await tp.api('POST', '/api/v1/workflows', helloFlow, token);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.version, 1);
    assert.equal(created.body.nodes.length, 3);

    const started = await tp.api('POST', `/api/v1/workflows/${created.body.id}/execute`, { input_data: { name: 'Ada' } }, token);
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.equal(started.body.workflow_id, created.body.id);
    assert.match(started.body.temporal.ui_url, /\/namespaces\/default\/workflows\/run-/);

    const run = await waitForRun(tp, token, started.body.id);
    assert.equal(run.status, 'completed');
    assert.deepEqual(run.output_data, { greeting: 'Hello, Ada' });
    assert.deepEqual(
      run.steps.map((s: any) => [s.node_id, s.status]),
      [
        ['start', 'completed'],
        ['greet', 'completed'],
        ['end', 'completed'],
      ],
    );
    assert.ok(run.execution_time_ms >= 0);
    assert.ok(run.finished_at);

    // The run is in Temporal with the platform's search attributes (what the Web UI filters on).
    const desc = await tp.platform.temporal.client.workflow.getHandle(run.temporal.workflow_id).describe();
    const sa = Object.fromEntries(desc.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]));
    assert.equal(sa.FlowId, created.body.id);
    assert.equal(sa.FlowVersion, 1);
    assert.equal(sa.OwnerId, created.body.owner_id);
    assert.equal(sa.TriggerType, 'manual');

    // Node activities wrote logs.
    const logs = await tp.api('GET', `/api/v1/executions/${run.id}/logs`, undefined, token);
    assert.equal(logs.status, 200);
    assert.ok(logs.body.logs.some((l: any) => l.node_id === 'greet'));
  });

  it('waits for the result with wait:true', async () => {
    const created = await tp.api('POST', '/api/v1/workflows', helloFlow, token);
    const r = await tp.api('POST', `/api/v1/workflows/${created.body.id}/execute`, { input_data: { name: 'Bob' }, wait: true }, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'completed');
    assert.deepEqual(r.body.output_data, { greeting: 'Hello, Bob' });
  });

  it('rejects input that fails the start node input_schema with 422 and a path', async () => {
    const created = await tp.api('POST', '/api/v1/workflows', helloFlow, token);
    const r = await tp.api('POST', `/api/v1/workflows/${created.body.id}/execute`, { input_data: { name: 7 } }, token);
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, 'VALIDATION_ERROR');
    assert.ok(r.body.error.details['input_data.name']);
  });

  it('rejects an invalid flow with 422 listing every problem by path', async () => {
    const r = await tp.api(
      'POST',
      '/api/v1/workflows',
      {
        name: 'broken',
        nodes: [
          { id: 'a', type: 'http-request', data: { url: 42 } },
          { id: 'a', type: 'no-such-type' },
        ],
        edges: [{ source: 'a', target: 'ghost' }],
      },
      token,
    );
    assert.equal(r.status, 422);
    const paths = Object.keys(r.body.error.details);
    assert.ok(paths.some((p) => p.startsWith('nodes[1]')), paths.join(','));
    assert.ok(paths.some((p) => p.startsWith('edges[0]')), paths.join(','));
  });

  it('answers 404 for unknown ids and for other users\u2019 flows and runs', async () => {
    const created = await tp.api('POST', '/api/v1/workflows', helloFlow, token);
    const other = (await tp.login()).token;
    assert.equal((await tp.api('GET', `/api/v1/workflows/${created.body.id}`, undefined, other)).status, 404);
    assert.equal((await tp.api('GET', '/api/v1/workflows/00000000-0000-4000-8000-000000000000', undefined, token)).status, 404);
    assert.equal((await tp.api('GET', '/api/v1/workflows/not-a-uuid', undefined, token)).status, 404);
    assert.equal((await tp.api('POST', `/api/v1/workflows/${created.body.id}/execute`, {}, other)).status, 404);
    assert.equal((await tp.api('GET', '/api/v1/nope', undefined, token)).status, 404);
    assert.equal((await tp.api('GET', '/api/v1/workflows')).status, 401);
  });
});
