import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRepos, type ItemStepRow, type Repos } from '../../src/storage';
import { describeEachDialect } from '../helpers/db';

const row = (executionId: string, index: number, nodeId: string, extra: Partial<ItemStepRow> = {}): ItemStepRow => ({
  execution_id: executionId,
  scope: `each/${index}/`,
  node_id: nodeId,
  node_type: 'noop',
  label: null,
  loop_node_id: 'each',
  item_index: index,
  batch: Math.floor(index / 200),
  batch_workflow_id: `run-${executionId}/each/batch-${Math.floor(index / 200) * 200}`,
  status: 'completed',
  attempt: 1,
  output: { result: index },
  error: null,
  port: 'default',
  started_at: '2026-12-01T10:00:00.000Z',
  finished_at: '2026-12-01T10:00:00.005Z',
  duration_ms: 5,
  ...extra,
});

describeEachDialect('loop item steps', (ctx) => {
  let repos: Repos;
  before(() => {
    repos = createRepos(ctx.db);
  });

  it('keeps the last state of each item step, and never takes a settled one back', async () => {
    const id = randomUUID();
    await repos.itemSteps.upsertMany([row(id, 0, 'a', { status: 'running', output: null, finished_at: null })]);
    assert.equal((await repos.itemSteps.list(id)).items[0].status, 'running');
    await repos.itemSteps.upsertMany([row(id, 0, 'a', { status: 'failed', error: { message: 'boom' }, output: null })]);
    // A late or repeated `node_started` after the failure, in a later batch and in the same batch.
    await repos.itemSteps.upsertMany([row(id, 0, 'a', { status: 'running', output: null })]);
    await repos.itemSteps.upsertMany([
      row(id, 1, 'a', { status: 'completed' }),
      row(id, 1, 'a', { status: 'running', output: null }),
    ]);
    const page = await repos.itemSteps.list(id);
    assert.deepEqual(
      page.items.map((s) => [s.item_index, s.status, s.error]),
      [
        [0, 'failed', { message: 'boom' }],
        [1, 'completed', null],
      ],
    );
    assert.deepEqual(await repos.itemSteps.countByStatus(id), { completed: 1, failed: 1 });
  });

  it('stores 10,000 items and answers a page and the counts without reading them all', async function () {
    this.timeout(60_000);
    const id = randomUUID();
    const rows: ItemStepRow[] = [];
    for (let i = 0; i < 10_000; i++) rows.push(row(id, i, 'a', i === 9_999 ? { status: 'failed', output: null } : {}));
    await repos.itemSteps.upsertMany(rows);
    assert.deepEqual(await repos.itemSteps.countByStatus(id), { completed: 9_999, failed: 1 });
    const page = await repos.itemSteps.list(id, { skip: 5_000, limit: 100 });
    assert.equal(page.total, 10_000);
    assert.equal(page.items.length, 100);
    // Ordered by item index (numerically, not as text).
    assert.deepEqual([page.items[0].item_index, page.items[99].item_index], [5_000, 5_099]);
    assert.deepEqual(page.items[0].output, { result: 5_000 });
    assert.equal(page.items[0].batch, 25);
    const failed = await repos.itemSteps.list(id, { status: 'failed' });
    assert.deepEqual([failed.total, failed.items[0].item_index], [1, 9_999]);
    assert.equal((await repos.itemSteps.list(id, { itemIndex: 42, loopNodeId: 'each' })).items[0].scope, 'each/42/');
    assert.equal((await repos.itemSteps.list(id, { loopNodeId: 'other' })).total, 0);
    assert.equal(await repos.itemSteps.deleteByExecution(id), 10_000);
  });
});
