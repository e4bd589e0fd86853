import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Logger } from 'pino';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { WorkerSlots } from '../services/metrics';
import { RUN_FLOW } from '../shared/flow';
import type { RunStart, RunStarted } from '../temporal/run-start';
import { SANDBOX_STUCK_EXIT_CODE } from './sandbox-watchdog';

/** How the supervised worker is doing, as `/health` shows it. */
export interface WorkerStatus {
  status: 'starting' | 'running' | 'restarting' | 'crash-looping' | 'stopped';
  pid: number | null;
  /** Restarts after the worker died. */
  restarts: number;
  last_exit: { code: number | null; signal: string | null; at: string } | null;
  /** The worker's slots in use, as it last reported them (every few seconds). */
  slots?: WorkerSlots;
  /** How the worker process watches its workflow sandbox (docs/engine.md, "The sandbox watchdog"). */
  sandbox_watchdog: SandboxWatchdog;
}

/**
 * `shared`: one watchdog for the worker process (the sandbox-watchdog preload); `per-entry`: the
 * Temporal SDK's own, a watchdog thread for each entry into a run's sandbox.
 */
export type SandboxWatchdog = 'shared' | 'per-entry';

/** A worker process kept running by its parent. */
export interface WorkerSupervisor {
  /** Resolves when the first worker process reports it is polling Temporal. */
  ready: Promise<void>;
  status(): WorkerStatus;
  /**
   * Starts a run through the worker process, which requests an eager start (its first workflow
   * task comes back with the start call, to that worker); undefined while no worker is running.
   */
  eagerStarter(): ((start: RunStart) => Promise<RunStarted>) | undefined;
  /** Stops the worker (SIGTERM, then SIGKILL after `stopTimeoutMs`) and does not restart it. */
  stop(): Promise<void>;
}

/** A start the worker process could not make (it died, did not answer in time, or failed otherwise). */
export class WorkerStartFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerStartFailed';
  }
}

/** Messages between the supervisor and the worker process about starting runs. */
export type StartRunRequest = { type: 'start-run'; id: number; start: RunStart };
export type StartRunReply = { type: 'start-run-result'; id: number; started?: RunStarted; error?: { name: string; message: string } };

/** Options of {@link superviseWorker}. */
export interface SuperviseOptions {
  env: NodeJS.ProcessEnv;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** First restart delay; doubles per quick crash up to `maxBackoffMs` (defaults 500 ms, 30 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a start through the worker may take before the API starts the run itself (default 3 s). */
  startTimeoutMs?: number;
  /** A worker that ran this long counts as healthy: the backoff starts over (default 60 s). */
  healthyAfterMs?: number;
  stopTimeoutMs?: number;
  /** How the worker watches its workflow sandbox (default `shared`). */
  sandboxWatchdog?: SandboxWatchdog;
  /** After a worker exits because its sandbox was stuck, how long restarts use `per-entry` (default 15 min). */
  perEntryAfterStuckMs?: number;
  /** The worker process's entry module (default `worker-main`); tests give their own. */
  entry?: string;
}

/** Crashes within {@link CRASH_WINDOW_MS} after which the worker is reported as crash-looping. */
const CRASH_LOOP = 5;
const CRASH_WINDOW_MS = 5 * 60_000;
const ENTRY = path.join(__dirname, `worker-main${path.extname(__filename)}`);
const WATCHDOG_PRELOAD = path.join(__dirname, `sandbox-watchdog-preload${path.extname(__filename)}`);

/**
 * Runs the worker in a child process and restarts it whenever it dies, with a growing delay, so a
 * crash of the worker (a native abort, an out-of-memory, a bug) never takes the API down. Five
 * crashes within five minutes are reported as a crash loop (logged, and shown by `/health`); the
 * restarts go on at the longest delay.
 */
export function superviseWorker(options: SuperviseOptions): WorkerSupervisor {
  const { logger } = options;
  const minBackoff = options.minBackoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const healthyAfter = options.healthyAfterMs ?? 60_000;
  const configuredWatchdog = options.sandboxWatchdog ?? 'shared';
  const state: WorkerStatus = { status: 'starting', pid: null, restarts: 0, last_exit: null, sandbox_watchdog: configuredWatchdog };
  // Until then, restarts use the SDK's per-entry watchdog: a sandbox was stuck not long ago.
  let perEntryUntil = 0;
  const crashes: number[] = [];
  let child: ChildProcess | undefined;
  let backoff = minBackoff;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let markReady: () => void = () => undefined;
  let childReady = false;
  let nextStartId = 0;
  const pendingStarts = new Map<number, { resolve(started: RunStarted): void; reject(err: Error): void; timer: NodeJS.Timeout }>();
  const failPendingStarts = (why: string) => {
    for (const [id, p] of pendingStarts) {
      clearTimeout(p.timer);
      pendingStarts.delete(id);
      p.reject(new WorkerStartFailed(why));
    }
  };
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const start = () => {
    const startedAt = Date.now();
    const entry = options.entry ?? ENTRY;
    const fromSource = entry.endsWith('.ts');
    state.sandbox_watchdog = startedAt < perEntryUntil ? 'per-entry' : configuredWatchdog;
    const execArgv = fromSource ? ['--require', require.resolve('tsx/cjs')] : [];
    // A preload runs in every thread of the process, before the SDK's workflow threads load their sandbox.
    if (state.sandbox_watchdog === 'shared') execArgv.push('--require', WATCHDOG_PRELOAD);
    const proc = fork(entry, [], {
      env: options.env,
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child = proc;
    childReady = false;
    state.pid = proc.pid ?? null;
    proc.on('message', (msg: { type?: string; slots?: WorkerSlots }) => {
      if (msg?.type === 'slots') state.slots = msg.slots;
      if (msg?.type === 'start-run-result') return settleStart(msg as StartRunReply);
      if (msg?.type !== 'ready') return;
      childReady = true;
      state.status = crashLooping() ? 'crash-looping' : 'running';
      markReady();
    });
    proc.on('exit', (code, signal) => {
      child = undefined;
      failPendingStarts('the worker process exited');
      state.pid = null;
      state.last_exit = { code, signal, at: new Date().toISOString() };
      if (stopping) {
        state.status = 'stopped';
        return;
      }
      const now = Date.now();
      if (code === SANDBOX_STUCK_EXIT_CODE) {
        perEntryUntil = now + (options.perEntryAfterStuckMs ?? 15 * 60_000);
        logger.error(
          { code, per_entry_until: new Date(perEntryUntil).toISOString() },
          'a workflow task stayed in the sandbox past its deadline; the worker restarts with the per-entry watchdog, which fails that task and lets the other runs go on',
        );
      }
      if (now - startedAt >= healthyAfter) backoff = minBackoff;
      crashes.push(now);
      while (crashes.length && now - crashes[0] > CRASH_WINDOW_MS) crashes.shift();
      state.status = crashLooping() ? 'crash-looping' : 'restarting';
      const log = crashLooping() ? logger.error.bind(logger) : logger.warn.bind(logger);
      log({ code, signal, restarts: state.restarts, delay_ms: backoff }, crashLooping() ? 'worker keeps crashing; restarting it' : 'worker exited; restarting it');
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        state.restarts++;
        start();
      }, backoff);
      backoff = Math.min(maxBackoff, backoff * 2);
    });
  };
  const crashLooping = () => crashes.length >= CRASH_LOOP;

  const settleStart = (reply: StartRunReply) => {
    const p = pendingStarts.get(reply.id);
    if (!p) return;
    clearTimeout(p.timer);
    pendingStarts.delete(reply.id);
    if (reply.started !== undefined) p.resolve(reply.started);
    else if (reply.error?.name === 'WorkflowExecutionAlreadyStartedError') {
      p.reject(new WorkflowExecutionAlreadyStartedError(reply.error.message, '', RUN_FLOW.workflow));
    } else p.reject(new WorkerStartFailed(reply.error?.message ?? 'the worker could not start the run'));
  };

  const startThroughWorker = (proc: ChildProcess, start: RunStart): Promise<RunStarted> =>
    new Promise<RunStarted>((resolve, reject) => {
      const id = ++nextStartId;
      const timer = setTimeout(() => {
        pendingStarts.delete(id);
        reject(new WorkerStartFailed('the worker did not start the run in time'));
      }, options.startTimeoutMs ?? 3_000);
      pendingStarts.set(id, { resolve, reject, timer });
      const request: StartRunRequest = { type: 'start-run', id, start };
      proc.send(request, (err) => {
        if (err) settleStart({ type: 'start-run-result', id, error: { name: 'Error', message: err.message } });
      });
    });

  start();
  return {
    ready,
    status: () => ({ ...state }),
    eagerStarter() {
      const proc = child;
      if (!proc || !childReady || !proc.connected || stopping) return undefined;
      return (start) => startThroughWorker(proc, start);
    },
    async stop() {
      stopping = true;
      failPendingStarts('the worker is stopping');
      if (restartTimer) clearTimeout(restartTimer);
      const proc = child;
      if (!proc) {
        state.status = 'stopped';
        return;
      }
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => proc.kill('SIGKILL'), options.stopTimeoutMs ?? 15_000);
        proc.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        proc.kill('SIGTERM');
      });
    },
  };
}
