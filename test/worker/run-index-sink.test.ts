import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { RunTransition } from '../../src/shared/run-transitions';
import { createRepos, migrateLatest, type Repos } from '../../src/storage';
import { createRunIndexSink } from '../../src/worker/run-index-sink';
import { createSqliteTestDb, type TestDb } from '../helpers/db';

const quiet = { warn: () => undefined };
const info = {} as WorkflowInfo;

describe('run index sink (worker)', () => {
  let testDb: TestDb;
  let repos: Repos;
  before(async () => {
    testDb = await createSqliteTestDb();
    await migrateLatest(testDb.db);
    repos = createRepos(testDb.db);
  });
  after(async () => testDb?.destroy());

  const newRun = async () =>
    (await repos.executions.create({ flow_id: randomUUID(), flow_version: 1, owner_id: randomUUID(), trigger: { type: 'manual' } })).id;
  const transition = (execution_id: string, seq: number, type: RunTransition['type'], extra: Partial<RunTransition> = {}): RunTransition => ({
    execution_id,
    run_id: 'r1',
    seq,
    type,
    at: '2025-01-01T00:00:02.000Z',
    status: 'running',
    ...extra,
  });

  it('waits for beforeWrite (the node log lines) before it writes a batch', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let calls = 0;
    const sink = createRunIndexSink({ db: testDb.db, logger: quiet, beforeWrite: () => (calls++, held) });
    const id = await newRun();
    sink.sinks.runIndex.record.fn(info, [transition(id, 1, 'execution_started', { started_at: '2025-01-01T00:00:00.000Z' })]);
    const flushed = sink.flush();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(calls, 1);
    assert.deepEqual(await repos.events.listAfter(id, 0), [], 'nothing is written while the lines are');
    release();
    await flushed;
    assert.equal((await repos.events.listAfter(id, 0)).length, 1);
  });

  it('ends a run from its end transition alone, without reading its row, and skips the approvals of a flow that has none', async () => {
    const sink = createRunIndexSink({ db: testDb.db, logger: quiet });
    const approvalOf = (execution_id: string) => ({
      key: `${execution_id}:gate`,
      execution_id,
      flow_id: randomUUID(),
      flow_version: 1,
      owner_id: randomUUID(),
      node_id: 'gate',
      scope: '',
      title: null,
      instructions: null,
      approvers: [],
      requested_at: '2025-01-01T00:00:01.000Z',
    });
    const without = await newRun();
    const withApprovals = await newRun();
    await repos.approvals.put(approvalOf(without));
    await repos.approvals.put(approvalOf(withApprovals));

    // A run that ended in its first workflow task: workflow time stood still at its start.
    const startedAt = new Date(Date.now() - 2_000).toISOString();
    const reads: string[] = [];
    const onQuery = (q: { sql: string }) => {
      if (/^select .* from [`"]executions[`"]/i.test(q.sql)) reads.push(q.sql);
    };
    testDb.db.on('query', onQuery);
    try {
      const end = { started_at: startedAt, at: startedAt, output_data: { ok: true }, status: 'completed' as const };
      sink.sinks.runIndex.record.fn(info, [
        transition(without, 9, 'execution_completed', { ...end, approvals: false }),
        transition(withApprovals, 9, 'execution_completed', end),
      ]);
      await sink.flush();
    } finally {
      testDb.db.removeListener('query', onQuery);
    }
    assert.deepEqual(reads, [], 'the run rows are not read');
    for (const id of [without, withApprovals]) {
      const row = await repos.executions.get(id);
      assert.equal(row?.status, 'completed');
      assert.equal(row?.started_at, startedAt);
      // The end counts from when the worker had it, not from the workflow time that stood still.
      assert.ok(row!.execution_time_ms! >= 2_000 && row!.execution_time_ms! < 3_000, `execution_time_ms ${row?.execution_time_ms}`);
      assert.equal(row?.execution_time_ms, Date.parse(row!.finished_at!) - Date.parse(startedAt));
    }
    assert.ok(await repos.approvals.get(`${without}:gate`), 'a run whose flow has no approval node is not searched');
    assert.equal(await repos.approvals.get(`${withApprovals}:gate`), undefined, 'the others lose what is left of theirs');
    const [stored] = (await repos.events.listAfter(without, 0)).map((e) => e.data as Record<string, unknown>);
    assert.equal('approvals' in stored, false, 'the flag is not stored with the event');
  });
});
