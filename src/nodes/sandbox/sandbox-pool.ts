import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { NodeError, type NodeLogLevel } from '../node-definition';
import { FairQueue } from './fair-queue';
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
  /**
   * Whose job this is (the flow's owner): each owner may use at most {@link MAX_JOBS_PER_OWNER}
   * threads at once, and waiting jobs are served round-robin by owner. Jobs without one share
   * the owner `''`.
   */
  owner?: string;
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

/** Sandbox threads per process. */
export const MAX_WORKERS = Math.max(1, Math.min(4, os.availableParallelism()));
/**
 * Threads one owner's jobs may occupy at once: half the pool, rounded up (at least one), so one
 * owner's runaway loops can never hold every thread while another owner's code waits.
 */
export const MAX_JOBS_PER_OWNER = Math.max(1, Math.ceil(MAX_WORKERS / 2));
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

/** A job waiting for a thread. */
interface Waiter {
  take(w: PooledWorker): void;
}

let compiled: Promise<WasmModule> | undefined;
/** The compiled module once `compiled` has resolved, so threads can be spawned synchronously. */
let loaded: WasmModule | undefined;
const workers = new Set<PooledWorker>();
/** Jobs waiting for a thread, served round-robin by owner. */
const waiting = new FairQueue<Waiter>();
/** Threads each owner's jobs hold now. */
const running = new Map<string, number>();
let nextId = 1;

/** The QuickJS WebAssembly module, compiled once per process and shared with every worker thread. */
function quickjsModule(): Promise<WasmModule> {
  compiled ??= (async () => {
    const base = path.dirname(require.resolve('quickjs-emscripten'));
    const file = require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm', { paths: [base] });
    loaded = await wasm.compile(await readFile(file));
    return loaded;
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

function idleWorker(): PooledWorker | undefined {
  for (const w of workers) if (!w.busy) return w;
  return undefined;
}

/** Whether `owner`'s jobs hold fewer threads than their share. */
const belowShare = (owner: string) => (running.get(owner) ?? 0) < MAX_JOBS_PER_OWNER;

/** Hands idle (or new) threads to waiting jobs while there are both. */
function dispatch(): void {
  while (loaded && (idleWorker() || workers.size < MAX_WORKERS)) {
    const next = waiting.shift(belowShare);
    if (!next) return;
    const idle = idleWorker();
    if (idle) {
      clearTimeout(idle.idleTimer);
      idle.busy = true;
      next.take(idle);
    } else {
      next.take(spawn(loaded));
    }
  }
}

function discard(pooled: PooledWorker): void {
  if (!workers.delete(pooled)) return;
  clearTimeout(pooled.idleTimer);
  pooled.worker.terminate().catch(() => {});
  dispatch();
}

function release(pooled: PooledWorker): void {
  pooled.busy = false;
  dispatch();
  if (pooled.busy || !workers.has(pooled)) return;
  pooled.worker.unref();
  pooled.idleTimer = setTimeout(() => discard(pooled), IDLE_MS).unref();
}

/** A job of `owner` ended: it no longer counts against the owner's share. */
function leave(owner: string): void {
  const n = (running.get(owner) ?? 1) - 1;
  if (n > 0) running.set(owner, n);
  else running.delete(owner);
}

/** Waits for a thread `owner` may use: every job queues, and {@link dispatch} decides who is next. */
async function acquire(owner: string, signal: AbortSignal): Promise<PooledWorker> {
  await quickjsModule();
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const waiter: Waiter = {
      take: (w) => {
        signal.removeEventListener('abort', onAbort);
        running.set(owner, (running.get(owner) ?? 0) + 1);
        resolve(w);
      },
    };
    const onAbort = () => {
      waiting.remove(owner, waiter);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    waiting.push(owner, waiter);
    dispatch();
  });
}

/**
 * Runs a job on a sandbox worker thread.
 * @returns the JSON result of the code
 * @throws NodeError (non-retryable) for errors in the code, timeouts and the memory limit;
 * `signal.reason` when cancelled
 */
export async function runInSandbox(job: SandboxJob, opts: RunInSandboxOptions): Promise<unknown> {
  const owner = opts.owner ?? '';
  const pooled = await acquire(owner, opts.signal);
  if (opts.signal.aborted) {
    // Cancelled after the thread was handed over but before the listener below exists.
    leave(owner);
    release(pooled);
    throw opts.signal.reason;
  }
  const { worker } = pooled;
  worker.ref();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    let deadline: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (broken: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      opts.signal.removeEventListener('abort', onAbort);
      leave(owner);
      if (broken) discard(pooled);
      else release(pooled);
      // A crashed thread may have been discarded (by its own exit listener) before this job left:
      // the owner's next job may be runnable now.
      dispatch();
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
  // The jobs on those threads settle through their exit listeners, which release their owners.
  for (const w of all) clearTimeout(w.idleTimer);
  await Promise.all(all.map((w) => w.worker.terminate().catch(() => {})));
}
