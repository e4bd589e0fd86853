import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { NodeError, type NodeLogLevel } from '../node-definition';
import { type SandboxJob, type SandboxOutcome } from './quickjs-sandbox';
// Type-only: evaluating the worker entry on this thread would fail, there is no parent port here.
import type { SandboxRequest } from './sandbox-worker';
import { wasm, type WasmModule } from './wasm';

/**
 * Main-thread side of the code sandbox: a small pool of worker threads that run {@link SandboxJob}s.
 *
 * QuickJS checks its deadline only between bytecode instructions, so one long native call
 * (`'x'.repeat(1e7)` in a loop) can overrun it by minutes, and while it runs its thread does
 * nothing else. Running it on a worker keeps the activity worker's event loop (heartbeats, other
 * activities) free and lets the pool enforce the deadline and cancellation by terminating the thread.
 */

/** What a caller of {@link runInSandbox} provides besides the job. */
export interface RunInSandboxOptions {
  /** Aborting terminates the running code and rejects with `signal.reason`. */
  signal: AbortSignal;
  onLog: (level: NodeLogLevel, message: string) => void;
}

interface PooledWorker {
  worker: Worker;
  busy: boolean;
  idleTimer?: NodeJS.Timeout;
}

type WorkerMessage =
  | { id: number; type: 'started' }
  | { id: number; type: 'log'; level: NodeLogLevel; message: string }
  | { id: number; type: 'done'; outcome: SandboxOutcome };

const MAX_WORKERS = Math.max(1, Math.min(4, os.availableParallelism()));
/** Time past the job's own deadline before the thread is killed (the in-sandbox deadline normally fires first). */
const GRACE_MS = 1_000;
const IDLE_MS = 60_000;

// Loads the entry through tsx when the platform runs from TypeScript sources (dev, tests).
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.entry.endsWith('.ts') && !require.extensions['.ts']) require(workerData.tsx);
require(workerData.entry);
`;
const ENTRY = path.join(__dirname, `sandbox-worker${path.extname(__filename)}`);

let compiled: Promise<WasmModule> | undefined;
const workers = new Set<PooledWorker>();
const waiting: { take: (w: PooledWorker) => void }[] = [];
let nextId = 1;

/** The QuickJS WebAssembly module, compiled once per process and shared with every worker thread. */
function quickjsModule(): Promise<WasmModule> {
  compiled ??= (async () => {
    const base = path.dirname(require.resolve('quickjs-emscripten'));
    const file = require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm', { paths: [base] });
    return wasm.compile(await readFile(file));
  })().catch((err: unknown) => {
    compiled = undefined;
    throw err;
  });
  return compiled;
}

function spawn(wasmModule: WasmModule): PooledWorker {
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    // The sandbox thread gets no environment: nothing in it needs secrets.
    env: {},
    workerData: {
      entry: ENTRY,
      tsx: ENTRY.endsWith('.ts') ? require.resolve('tsx/cjs') : undefined,
      wasmModule,
    },
    resourceLimits: { stackSizeMb: 8, maxOldGenerationSizeMb: 256 },
  });
  const pooled: PooledWorker = { worker, busy: true };
  worker.on('error', () => discard(pooled));
  worker.on('exit', () => discard(pooled));
  workers.add(pooled);
  return pooled;
}

function discard(pooled: PooledWorker): void {
  if (!workers.delete(pooled)) return;
  clearTimeout(pooled.idleTimer);
  pooled.worker.terminate().catch(() => {});
  const next = waiting.shift();
  if (next)
    void quickjsModule().then(
      (m) => next.take(spawn(m)),
      () => waiting.unshift(next),
    );
}

function release(pooled: PooledWorker): void {
  const next = waiting.shift();
  if (next) return next.take(pooled);
  pooled.busy = false;
  pooled.worker.unref();
  pooled.idleTimer = setTimeout(() => discard(pooled), IDLE_MS).unref();
}

async function acquire(signal: AbortSignal): Promise<PooledWorker> {
  const wasmModule = await quickjsModule();
  signal.throwIfAborted();
  const idle = [...workers].find((w) => !w.busy);
  if (idle) {
    clearTimeout(idle.idleTimer);
    idle.busy = true;
    return idle;
  }
  if (workers.size < MAX_WORKERS) return spawn(wasmModule);
  return new Promise((resolve, reject) => {
    const entry = {
      take: (w: PooledWorker) => {
        signal.removeEventListener('abort', onAbort);
        clearTimeout(w.idleTimer);
        w.busy = true;
        resolve(w);
      },
    };
    const onAbort = () => {
      waiting.splice(waiting.indexOf(entry), 1);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    waiting.push(entry);
  });
}

/**
 * Runs a job on a sandbox worker thread.
 * @returns the JSON result of the code
 * @throws NodeError (non-retryable) for errors in the code, timeouts and the memory limit;
 * `signal.reason` when cancelled
 */
export async function runInSandbox(job: SandboxJob, opts: RunInSandboxOptions): Promise<unknown> {
  const pooled = await acquire(opts.signal);
  const { worker } = pooled;
  worker.ref();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    let deadline: NodeJS.Timeout | undefined;
    const settle = (broken: boolean) => {
      clearTimeout(deadline);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      opts.signal.removeEventListener('abort', onAbort);
      if (broken) discard(pooled);
      else release(pooled);
    };
    const fail = (err: unknown) => {
      settle(true);
      reject(err);
    };
    const onMessage = (msg: WorkerMessage) => {
      if (msg.id !== id) return;
      if (msg.type === 'started') {
        deadline = setTimeout(
          () =>
            fail(
              new NodeError(`Code timed out after ${job.timeoutMs} ms`, {
                retryable: false,
                type: 'CodeTimeout',
              }),
            ),
          job.timeoutMs + GRACE_MS,
        );
      } else if (msg.type === 'log') {
        opts.onLog(msg.level, msg.message);
      } else {
        settle(false);
        if (msg.outcome.ok) resolve(msg.outcome.result);
        else {
          const { message, type, details } = msg.outcome.error;
          reject(new NodeError(message, { retryable: false, type, details }));
        }
      }
    };
    const onError = (err: Error) =>
      fail(
        new NodeError(`The code sandbox crashed: ${err.message}`, {
          retryable: false,
          type: 'CodeSandboxError',
        }),
      );
    const onExit = (code: number) =>
      fail(
        new NodeError(`The code sandbox exited unexpectedly (code ${code})`, {
          retryable: true,
          type: 'CodeSandboxError',
        }),
      );
    const onAbort = () =>
      fail(opts.signal.reason ?? new NodeError('Code execution was cancelled', { type: 'Cancelled' }));
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    opts.signal.addEventListener('abort', onAbort, { once: true });
    worker.postMessage({ id, job } satisfies SandboxRequest);
  });
}

/** Terminates every sandbox thread (graceful shutdown, tests). */
export async function shutdownSandbox(): Promise<void> {
  const all = [...workers];
  workers.clear();
  for (const w of all) clearTimeout(w.idleTimer);
  await Promise.all(all.map((w) => w.worker.terminate().catch(() => {})));
}
