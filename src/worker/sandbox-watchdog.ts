import vm from 'node:vm';
import { BroadcastChannel, threadId } from 'node:worker_threads';

/**
 * One watchdog for the workflow sandbox of a worker process, instead of one per entry into it.
 *
 * The Temporal SDK enters a run's V8 context (`vm.runInContext`) about three times per workflow
 * activation, each time with a `timeout` (its `isolateExecutionTimeout`, 5 s). Node implements that
 * timeout with a watchdog *thread* per call: created, then joined when the call returns. On a busy
 * 2-core machine the join waits for the scheduler, and those threads were about a third of a light
 * run's wall time (docs/benchmarks.md, session 8).
 *
 * Here the calls run without that timeout. Each workflow thread instead keeps, in memory shared
 * with the worker's main thread, the time its current entry began; the main thread looks every
 * second and calls `onStuck` for an entry older than the deadline (the SDK's own 5 s). The
 * supervised worker process then exits, and its supervisor restarts it with the SDK's per-entry
 * watchdog (docs/engine.md, "The sandbox watchdog"), which fails the stuck run's workflow task as
 * Temporal does, without stopping the others.
 */

const CHANNEL = 'temporal-flows:sandbox-watchdog';

/** Exit code of a worker process whose workflow sandbox stayed busy past the deadline. */
export const SANDBOX_STUCK_EXIT_CODE = 75;

/** The SDK's default `isolateExecutionTimeout`: how long one entry into the sandbox may take. */
export const SANDBOX_DEADLINE_MS = 5_000;

/** What a workflow thread tells the main thread: where it writes the start of its current entry. */
interface Announcement {
  threadId: number;
  /** Float64Array over it: [0] epoch ms when the current entry began, 0 when outside. */
  slot: SharedArrayBuffer;
}

let installed = false;
let preloaded = false;

/**
 * In a workflow thread: drops the per-call `timeout` of `vm` calls into a context and records
 * instead when each entry begins and ends, for {@link watchSandboxes}. Idempotent.
 */
export function installSharedWatchdog(): void {
  if (installed) return;
  installed = true;
  const slot = new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT);
  const began = new Float64Array(slot);
  let depth = 0;
  const timed = <T>(call: () => T): T => {
    if (depth++ === 0) began[0] = Date.now();
    try {
      return call();
    } finally {
      if (--depth === 0) began[0] = 0;
    }
  };

  const runScript = vm.Script.prototype.runInContext;
  vm.Script.prototype.runInContext = function runInContextSharedWatchdog(this: vm.Script, context, options) {
    if (!options?.timeout) return runScript.call(this, context, options);
    const { timeout: _timeout, ...rest } = options;
    return timed(() => runScript.call(this, context, rest));
  };
  const runCode = vm.runInContext;
  vm.runInContext = function runCodeSharedWatchdog(code, context, options) {
    if (typeof options !== 'object' || !options?.timeout) return runCode(code, context, options);
    const { timeout: _timeout, ...rest } = options;
    return timed(() => runCode(code, context, rest));
  };

  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage({ threadId, slot } satisfies Announcement);
  // Kept open (closing could drop the message) but never keeps the thread alive.
  (channel as unknown as { unref(): void }).unref();
}

/** Marks that this process preloaded the shared watchdog into its threads (see the preload module). */
export function markSharedWatchdogPreloaded(): void {
  preloaded = true;
}

/** Whether this process's workflow threads run with the shared watchdog (its preload was loaded). */
export function sharedWatchdogPreloaded(): boolean {
  return preloaded;
}

/**
 * In a supervised worker process whose threads run the shared watchdog: exits with
 * {@link SANDBOX_STUCK_EXIT_CODE} when a workflow task stays in the sandbox past the deadline, so
 * the supervisor restarts the worker with the per-entry watchdog. Call it before the worker starts
 * its workflow threads (they announce themselves when they load).
 */
export function exitWhenSandboxStuck(logger: { error(obj: object, msg: string): void }, options: Omit<WatchOptions, 'onStuck'> = {}): () => void {
  return watchSandboxes({
    ...options,
    onStuck: ({ threadId: id, ms }) => {
      logger.error({ thread_id: id, busy_ms: ms }, 'a workflow task has been running in the sandbox past its deadline; exiting so the supervisor restarts the worker');
      process.exit(SANDBOX_STUCK_EXIT_CODE);
    },
  });
}

/** Options of {@link watchSandboxes}. */
export interface WatchOptions {
  /** How long one entry may take (default {@link SANDBOX_DEADLINE_MS}). */
  deadlineMs?: number;
  /** How often to look (default 1 s). */
  intervalMs?: number;
  /** Called once per stuck entry, with the thread and how long it has been inside. */
  onStuck(stuck: { threadId: number; ms: number }): void;
}

/**
 * In the worker's main thread: watches the entries of every thread that called
 * {@link installSharedWatchdog} after this started. Returns a function that stops watching.
 */
export function watchSandboxes(options: WatchOptions): () => void {
  const deadline = options.deadlineMs ?? SANDBOX_DEADLINE_MS;
  const slots = new Map<number, Float64Array>();
  const reported = new Map<number, number>();
  const channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = (event) => {
    const { threadId: id, slot } = (event as { data?: Partial<Announcement> }).data ?? {};
    if (typeof id === 'number' && slot instanceof SharedArrayBuffer) slots.set(id, new Float64Array(slot));
  };
  (channel as unknown as { unref(): void }).unref();
  const timer = setInterval(() => {
    const now = Date.now();
    for (const [id, began] of slots) {
      const at = began[0];
      if (at === 0 || now - at <= deadline || reported.get(id) === at) continue;
      reported.set(id, at);
      options.onStuck({ threadId: id, ms: now - at });
    }
  }, options.intervalMs ?? 1_000);
  timer.unref();
  return () => {
    clearInterval(timer);
    channel.close();
  };
}
