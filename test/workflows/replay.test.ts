/**
 * Replays the committed histories in test/fixtures/histories/ (recorded by
 * test/fixtures/record-histories.ts) against the current interpreter bundle: any change to workflows/
 * that would break a run already in flight fails here. See docs/engine.md, "Changing the interpreter".
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  bundleWorkflowCode,
  Worker,
  type ReplayResult,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow/lib/errors';
import { listNodeDefinitions } from '../../src/nodes/registry';
import { RUN_FLOW, type CompiledFlow } from '../../src/shared/flow';
import { getWorkflowBundle, interpreterBundleOptions } from '../../src/worker/workflow-bundle';
import { NO_RUN_INDEX } from '../../src/worker/create-worker';
import type { HistoryFixture } from '../helpers/history-recorder';
import '../helpers/temporal-env'; // quiets the SDK's console logger

const ROOT = path.resolve(__dirname, '../..');
const HISTORIES_DIR = path.join(ROOT, 'test/fixtures/histories');
/** Fewer than this means fixtures went missing, not that everything replays. */
const MIN_FIXTURES = 20;

function loadFixtures(): HistoryFixture[] {
  if (!fs.existsSync(HISTORIES_DIR)) return [];
  return fs
    .readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, f), 'utf8')) as HistoryFixture);
}

/** The compiled definition a recorded `runFlow` started with (its first input payload). */
function definitionOf(f: HistoryFixture): CompiledFlow | undefined {
  const started = (f.history.events[0] as any)?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (f.workflow_type !== RUN_FLOW.workflow || !payload?.data) return undefined;
  return JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')).definition;
}

function nodeTypes(def: CompiledFlow | undefined, into = new Set<string>()): Set<string> {
  for (const n of def?.nodes ?? []) {
    into.add(n.type);
    if (n.type === 'loop') nodeTypes(n.data.body as CompiledFlow, into);
  }
  return into;
}

async function replayAll(
  bundle: WorkflowBundleWithSourceMap,
  fixtures: HistoryFixture[],
): Promise<Map<string, ReplayResult>> {
  const byId = new Map(fixtures.map((f) => [f.workflow_id, f.name]));
  const results = new Map<string, ReplayResult>();
  const histories = fixtures.map((f) => ({ workflowId: f.workflow_id, history: f.history }));
  for await (const r of Worker.runReplayHistories({ workflowBundle: bundle, sinks: NO_RUN_INDEX }, histories)) {
    results.set(byId.get(r.workflowId) ?? r.workflowId, r);
  }
  return results;
}

/**
 * Bundles a copy of workflows/ (and src/, which it imports) after `edit` changed it, so a test can
 * prove that replay notices an interpreter change. The copy lives in a temp dir with a symlink to
 * node_modules; nothing in the repository is touched.
 */
async function bundleModifiedCopy(edit: (dir: string) => void): Promise<WorkflowBundleWithSourceMap> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-modified-'));
  try {
    fs.cpSync(path.join(ROOT, 'workflows'), path.join(dir, 'workflows'), { recursive: true });
    fs.cpSync(path.join(ROOT, 'src'), path.join(dir, 'src'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    edit(dir);
    return await bundleWorkflowCode(interpreterBundleOptions(undefined, path.join(dir, 'workflows')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('replay of recorded histories', function () {
  this.timeout(180_000);
  const fixtures = loadFixtures();
  let results: Map<string, ReplayResult>;

  before(async () => {
    results = await replayAll(await getWorkflowBundle(), fixtures);
  });

  it(`finds at least ${MIN_FIXTURES} fixtures, covering every control node type`, () => {
    assert.ok(fixtures.length >= MIN_FIXTURES, `only ${fixtures.length} fixtures in ${HISTORIES_DIR}`);
    const covered = new Set<string>();
    for (const f of fixtures) nodeTypes(definitionOf(f), covered);
    const control = listNodeDefinitions()
      .filter((d) => d.kind === 'control')
      .map((d) => d.type);
    const missing = control.filter((t) => !covered.has(t));
    assert.deepEqual(
      missing,
      [],
      'record a fixture for these control node types: npx tsx test/fixtures/record-histories.ts',
    );
    assert.ok(
      listNodeDefinitions().some((d) => d.kind === 'activity' && covered.has(d.type)),
      'no fixture runs an activity node',
    );
    assert.ok(
      fixtures.some((f) => f.workflow_type === RUN_FLOW.loopBatchWorkflow),
      'no runLoopBatch (large loop) history',
    );
  });

  for (const f of fixtures) {
    it(`replays ${f.name} (${f.description})`, () => {
      const r = results.get(f.name);
      assert.ok(r, `${f.name} was not replayed`);
      if (r.error) {
        assert.fail(
          `${f.name} no longer replays (${r.error.name}): ${r.error.message}\n` +
            'The interpreter changed the commands this recorded run issues. Gate the change with patched() ' +
            '(docs/engine.md) instead of re-recording the fixture.',
        );
      }
    });
  }

  it('detects a change that reorders activities (a bundle built from a modified copy)', async () => {
    const target = fixtures.find((f) => f.name === 'parallel-branches');
    assert.ok(target, 'the parallel-branches fixture is needed for this test');
    // Start ready nodes last-in-first-out: parallel branches schedule their activities in reverse order.
    const modified = await bundleModifiedCopy((dir) => {
      const file = path.join(dir, 'workflows/graph-runner.ts');
      const src = fs.readFileSync(file, 'utf8');
      const changed = src.replace('this.ready.shift()', 'this.ready.pop()');
      assert.notEqual(changed, src, 'graph-runner.ts no longer has `this.ready.shift()`: update this test');
      fs.writeFileSync(file, changed);
    });
    const chainFixture = fixtures.find((f) => f.name === 'chain');
    const r = await replayAll(modified, [target, ...(chainFixture ? [chainFixture] : [])]);
    const err = r.get('parallel-branches')?.error;
    assert.ok(err instanceof DeterminismViolationError, `expected DeterminismViolationError, got ${err}`);
    assert.match(err.message, /nondetermin/i);
    // A linear chain has one ready node at a time: the same change does not affect it.
    if (chainFixture) assert.equal(r.get('chain')?.error, undefined);
  });
});
