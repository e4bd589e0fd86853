import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRepos, NODE_TEST_RESULTS_KEPT, type NewNodeTestResult, type Repos } from '../../src/storage';
import { describeEachDialect } from '../helpers/db';

describeEachDialect('node test results and the newest event of a flow\'s node', (ctx) => {
  let repos: Repos;
  let ownerId: string;
  let flowId: string;
  before(async () => {
    repos = createRepos(ctx.db);
    const tag = randomUUID().slice(0, 8);
    ownerId = (await repos.users.create({ username: `n-${tag}`, email: `n-${tag}@example.test`, password_hash: 'h' })).id;
    flowId = (await repos.flows.create({ owner_id: ownerId, name: 'nodes', nodes: [{ id: 'a', type: 'noop', data: {} }], edges: [] })).id;
  });

  const result = (i: number, extra: Partial<NewNodeTestResult> = {}): NewNodeTestResult => ({
    flow_id: flowId,
    node_id: 'a',
    node_type: 'noop',
    flow_version: 1,
    owner_id: ownerId,
    user_id: ownerId,
    session_id: null,
    form_values: { value: i },
    input_data: { result: [i, 'ü', null] },
    rendered_input: { value: i },
    output: i % 2 ? { result: i } : null,
    error: i % 2 ? null : { message: `failed ${i}`, type: 'NodeError' },
    success: i % 2 === 1,
    port: i % 2 ? 'default' : null,
    attempt: 1,
    duration_ms: 12,
    temporal_workflow_id: `node-test-${i}`,
    temporal_run_id: randomUUID(),
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    ...extra,
  });

  it('stores every field as given and answers the newest result of a node', async () => {
    const stored = await repos.nodeTests.insert(result(1, { session_id: 's' }));
    assert.deepEqual(
      { ...stored, id: undefined },
      { ...result(1, { session_id: 's' }), id: undefined, temporal_run_id: stored.temporal_run_id },
    );
    const failed = await repos.nodeTests.insert(result(2));
    assert.equal(failed.success, false);
    assert.deepEqual(failed.error, { message: 'failed 2', type: 'NodeError' });
    assert.equal((await repos.nodeTests.latest(flowId, 'a'))?.id, failed.id);
    assert.equal(await repos.nodeTests.latest(flowId, 'b'), undefined);
  });

  it(`keeps only the newest ${NODE_TEST_RESULTS_KEPT} results of each node`, async () => {
    for (let i = 3; i < 3 + NODE_TEST_RESULTS_KEPT + 2; i++) await repos.nodeTests.insert(result(i));
    await repos.nodeTests.insert(result(1, { node_id: 'b' }));
    const kept = await repos.nodeTests.list(flowId, 'a', 100);
    assert.equal(kept.length, NODE_TEST_RESULTS_KEPT);
    assert.deepEqual(
      kept.map((k) => (k.form_values as { value: number }).value),
      Array.from({ length: NODE_TEST_RESULTS_KEPT }, (_, i) => 2 + NODE_TEST_RESULTS_KEPT + 2 - i),
    );
    assert.equal((await repos.nodeTests.list(flowId, 'b')).length, 1, 'another node keeps its own');
  });

  it('finds the newest event of a node among the flow\'s runs only', async () => {
    const other = (await repos.flows.create({ owner_id: ownerId, name: 'other', nodes: [{ id: 'a', type: 'noop', data: {} }], edges: [] })).id;
    const run = async (flow: string) =>
      (await repos.executions.create({ flow_id: flow, flow_version: 1, owner_id: ownerId, trigger: { type: 'manual' } })).id;
    const [first, second, elsewhere] = [await run(flowId), await run(flowId), await run(other)];
    // Runs created in the same millisecond would tie on created_at; the first is made older.
    await ctx.db('executions').where({ id: first }).update({ created_at: new Date(Date.now() - 60_000).toISOString() });
    const event = (executionId: string, key: string, type: string, nodeId: string) => ({
      execution_id: executionId,
      event_key: key,
      type,
      node_id: nodeId,
      data: { step: { node_id: nodeId, status: type === 'node_started' ? 'running' : 'completed' } },
      at: new Date().toISOString(),
    });
    await repos.events.insertMany([
      event(first, 'k1', 'node_started', 'a'),
      event(first, 'k2', 'node_completed', 'a'),
      event(second, 'k3', 'node_started', 'a'),
      event(elsewhere, 'k4', 'node_completed', 'a'),
    ]);
    const started = await repos.events.latestOfFlowNode(flowId, 'a', ['node_started', 'node_completed']);
    assert.deepEqual([started?.execution_id, started?.type], [second, 'node_started']);
    const completed = await repos.events.latestOfFlowNode(flowId, 'a', ['node_completed']);
    assert.deepEqual([completed?.execution_id, completed?.event_key], [first, 'k2']);
    assert.equal(await repos.events.latestOfFlowNode(flowId, 'z', ['node_completed']), undefined);
    // Bounded by the flow's newest runs.
    assert.equal(await repos.events.latestOfFlowNode(flowId, 'a', ['node_completed'], 1), undefined);
  });

  it('drops a flow\'s results with the flow row', async () => {
    await ctx.db('flows').where({ id: flowId }).delete();
    assert.equal(await repos.nodeTests.latest(flowId, 'a'), undefined);
  });
});
