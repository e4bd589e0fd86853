import type { Connection } from '@temporalio/client';
import { temporalUnavailable } from '../shared/errors';

/**
 * Every call the API makes to Temporal goes through one gate: a short deadline per call, and a
 * circuit that opens when Temporal cannot be reached, so requests fail fast (503) instead of
 * hanging while it is down, and closes within a probe interval of its return.
 */
export interface TemporalGate {
  /**
   * Runs `fn` (a Temporal client call) with a deadline. While the circuit is open it throws
   * `Unavailable` at once; a call that fails because Temporal cannot be reached opens it.
   */
  call<T>(fn: () => Promise<T>, options?: { deadlineMs?: number }): Promise<T>;
  /** Whether Temporal was reachable at the last call or probe. */
  isUp(): boolean;
  /** Resolves once Temporal is reachable (at once when it is). */
  whenUp(): Promise<void>;
  /** Stops probing and refuses new calls (shutdown). */
  stop(): void;
  /**
   * Resolves when no call made through the gate is in flight any more (at most `maxMs`). A call
   * whose gate deadline passed may still be retrying inside the client; closing the connection
   * under it makes the client's retry timer throw an uncaught "Channel has been shut down", so
   * shutdown drains before it closes.
   */
  drain(maxMs: number): Promise<void>;
}

/** Options of {@link createTemporalGate}. */
export interface TemporalGateOptions {
  connection: Connection;
  /** Deadline of a call (default 5 s). */
  deadlineMs?: number;
  /** How often a closed-down Temporal is probed (default 500 ms). */
  probeIntervalMs?: number;
  /** Deadline of one probe (default 500 ms). */
  probeDeadlineMs?: number;
  onChange?: (up: boolean, err?: unknown) => void;
}

/** gRPC statuses that mean "could not reach Temporal in time" rather than "Temporal said no". */
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;

/** Whether `err` (or a cause of it) is a transport failure of a Temporal call. */
export function isTransportFailure(err: unknown): boolean {
  let e = err as { name?: string; code?: number; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.code === UNAVAILABLE || e.code === DEADLINE_EXCEEDED) return true;
    if (e.name === 'ConnectionError') return true;
    if (e.name === 'ServiceError' && e.code === undefined) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * `promise`, or a DEADLINE_EXCEEDED failure once `ms` have passed: the client's retry interceptor
 * sleeps between attempts past a call's deadline (a 1 s deadline took ~1.9 s with Temporal down).
 */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer from Temporal within ${ms} ms`), { code: DEADLINE_EXCEEDED })), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Creates the gate over `connection`. */
export function createTemporalGate(options: TemporalGateOptions): TemporalGate {
  const { connection } = options;
  const deadlineMs = options.deadlineMs ?? 5_000;
  const probeIntervalMs = options.probeIntervalMs ?? 500;
  const probeDeadlineMs = options.probeDeadlineMs ?? 500;
  let up = true;
  let probing: Promise<boolean> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let waiters: (() => void)[] = [];
  let inFlight = 0;
  let drained: (() => void)[] = [];
  const settled = () => {
    if (--inFlight > 0) return;
    const ready = drained;
    drained = [];
    for (const d of ready) d();
  };

  const setUp = (value: boolean, err?: unknown) => {
    if (up === value) return;
    up = value;
    options.onChange?.(value, err);
    if (value) {
      const ready = waiters;
      waiters = [];
      for (const w of ready) w();
    }
  };

  const probe = (): Promise<boolean> => {
    probing ??= withTimeout(
      connection.withDeadline(Date.now() + probeDeadlineMs, () => connection.workflowService.getSystemInfo({})),
      probeDeadlineMs,
    ).then(
        () => true,
        () => false,
      )
      .finally(() => {
        probing = undefined;
      });
    return probing;
  };

  const keepProbing = () => {
    if (timer || stopped) return;
    const tick = async () => {
      timer = undefined;
      if (stopped) return;
      if (await probe()) setUp(true);
      else timer = setTimeout(() => void tick(), probeIntervalMs).unref();
    };
    timer = setTimeout(() => void tick(), probeIntervalMs).unref();
  };

  const down = (err: unknown) => {
    setUp(false, err);
    keepProbing();
  };

  return {
    async call(fn, callOptions = {}) {
      if (!up || stopped) throw temporalUnavailable('Temporal is unavailable; try again shortly');
      try {
        const ms = callOptions.deadlineMs ?? deadlineMs;
        const inner = connection.withDeadline(Date.now() + ms, fn);
        inFlight++;
        void inner.then(settled, settled);
        return await withTimeout(inner, ms);
      } catch (err) {
        if (!isTransportFailure(err)) throw err;
        // A deadline can also mean a slow answer (a query no worker takes): a probe decides.
        // UNAVAILABLE is the transport saying Temporal is not there.
        const unreachable = (err as { code?: number }).code === UNAVAILABLE || !(await probe());
        if (unreachable) {
          down(err);
          throw temporalUnavailable('Temporal is unavailable; try again shortly');
        }
        throw temporalUnavailable('Temporal did not answer in time (is a worker running?)');
      }
    },
    isUp: () => up,
    whenUp: () => (up ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    drain(maxMs) {
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, maxMs);
        timer.unref();
        drained.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const ready = waiters;
      waiters = [];
      for (const w of ready) w();
    },
  };
}
