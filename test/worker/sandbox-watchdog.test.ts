/**
 * The shared sandbox watchdog (src/worker/sandbox-watchdog.ts): workflow threads enter their
 * sandbox without a watchdog thread per entry, the worker's main thread sees an entry that stays
 * past the deadline, and the supervisor then restarts the worker with the SDK's per-entry watchdog.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { SANDBOX_STUCK_EXIT_CODE, watchSandboxes } from '../../src/worker/sandbox-watchdog';
import { superviseWorker } from '../../src/worker/supervisor';
import { until } from '../helpers/wait';

const MODULE = path.resolve(__dirname, '../../src/worker/sandbox-watchdog.ts');
const BUSY_200_MS = '{ const t = Date.now(); while (Date.now() - t < 200) {} }';

/** A thread that installs the shared watchdog, runs `body` (with `vm` and `ctx` in scope) and posts its result. */
function thread(body: string): { worker: Worker; result: Promise<unknown> } {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const vm = require('node:vm');
     require(${JSON.stringify(MODULE)}).installSharedWatchdog();
     const ctx = vm.createContext({});
     try { parentPort.postMessage({ ok: (() => { ${body} })() }); } catch (err) { parentPort.postMessage({ error: err.message }); }`,
    { eval: true, execArgv: ['--require', require.resolve('tsx/cjs')] },
  );
  const result = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, result };
}

describe('shared sandbox watchdog', function () {
  this.timeout(60_000);
  const stops: (() => void)[] = [];
  const workers: Worker[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    await Promise.all(workers.splice(0).map((w) => w.terminate()));
  });

  it('runs a vm call without its per-entry timeout, in both forms the SDK uses', async () => {
    // Without the shared watchdog, Node's per-call watchdog cuts the same call short.
    assert.throws(() => vm.runInContext(BUSY_200_MS, vm.createContext({}), { timeout: 20 }), /timed out/);
    const t = thread(
      `vm.runInContext(${JSON.stringify(BUSY_200_MS)}, ctx, { timeout: 20 });
       new vm.Script(${JSON.stringify(BUSY_200_MS)}).runInContext(ctx, { timeout: 20 });
       return 'both ran to the end';`,
    );
    workers.push(t.worker);
    assert.deepEqual(await t.result, { ok: 'both ran to the end' });
  });

  it('reports a thread that stays in one entry past the deadline, once, and not one that leaves in time', async () => {
    const stuck: { threadId: number; ms: number }[] = [];
    stops.push(watchSandboxes({ deadlineMs: 300, intervalMs: 25, onStuck: (s) => stuck.push(s) }));
    // Three entries of 200 ms each, one after the other: none is past 300 ms.
    const quick = thread(`for (let i = 0; i < 3; i++) vm.runInContext(${JSON.stringify(BUSY_200_MS)}, ctx, { timeout: 5000 }); return 'done';`);
    workers.push(quick.worker);
    assert.deepEqual(await quick.result, { ok: 'done' });
    assert.equal(stuck.length, 0, 'entries that leave before the deadline are not reported');

    const looping = thread(`vm.runInContext('while (true) {}', ctx, { timeout: 5000 });`);
    workers.push(looping.worker);
    await until(async () => stuck.length > 0, 'the stuck thread to be reported', 5_000);
    assert.equal(stuck[0].threadId, looping.worker.threadId);
    assert.ok(stuck[0].ms > 300, `reported after the deadline (${stuck[0].ms} ms)`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(stuck.length, 1, 'one report per stuck entry');
  });

  it('makes the supervised worker exit as stuck, and the supervisor restart it with the per-entry watchdog', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-watchdog-'));
    const probeFile = path.join(dir, 'probe.jsonl');
    const errors: { obj: unknown; msg: string }[] = [];
    const sup = superviseWorker({
      entry: path.join(__dirname, 'fixtures/stuck-worker-entry.ts'),
      env: { ...process.env, PROBE_FILE: probeFile },
      logger: { info: () => undefined, warn: () => undefined, error: (obj: unknown, msg: string) => errors.push({ obj, msg }) } as never,
      minBackoffMs: 50,
      perEntryAfterStuckMs: 60_000,
    });
    try {
      await sup.ready;
      const probes = () => (fs.existsSync(probeFile) ? fs.readFileSync(probeFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []);
      await until(async () => probes().some((p) => p.thread_error), () => `the per-entry watchdog to end the call (probes: ${JSON.stringify(probes())})`, 30_000);
      const seen = probes();
      assert.deepEqual(seen[0], { preloaded: true }, 'the first worker runs the shared watchdog');
      assert.deepEqual(seen[1], { preloaded: false }, 'the restarted worker runs the per-entry watchdog');
      assert.match(seen[2].thread_error, /timed out/, "Node's per-entry watchdog ended the stuck call");
      const status = sup.status();
      assert.equal(status.restarts, 1);
      assert.equal(status.last_exit?.code, SANDBOX_STUCK_EXIT_CODE);
      assert.equal(status.sandbox_watchdog, 'per-entry');
      assert.ok(errors.some((e) => /past its deadline/.test(e.msg)), 'the supervisor says why it changed the watchdog');
    } finally {
      await sup.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
