import type { ExecutionEventRow, Repos } from '../storage';

/** Receives a run's events in log order, each once. */
export type EventListener = (events: ExecutionEventRow[]) => void;

/** One reader of the live event log for every watcher of this process. */
export interface EventTail {
  /**
   * Delivers the run's events after position `afterId` — first those already stored, then new
   * ones as they arrive — in order, each once. Returns the unsubscribe function.
   */
  subscribe(executionId: string, afterId: number, listener: EventListener): () => void;
  /** Delivers every run's new events (from now on), in order (metrics). Returns the unsubscribe function. */
  subscribeAll(listener: EventListener): () => void;
  /** Stops reading (shutdown). */
  stop(): void;
}

interface Subscription {
  executionId: string;
  delivered: number;
  listener: EventListener;
  /** Live events that arrived while the stored ones were being read. */
  buffered?: ExecutionEventRow[];
}

const PAGE = 1_000;

/**
 * Tails the live event log (`execution_events`) with one query every `intervalMs` for all the
 * runs watched in this process, however many streams are open, and hands each watcher its run's
 * events. A watcher that subscribes first reads its run's stored events, then gets the live ones:
 * the log is written by the runs themselves (through the workers' run index sink), so an API
 * process sees transitions from any worker within about one interval.
 */
export function createEventTail(repos: Repos, options: { intervalMs?: number; onError?: (err: unknown) => void } = {}): EventTail {
  const intervalMs = options.intervalMs ?? 50;
  const subs = new Set<Subscription>();
  const everyRun = new Set<EventListener>();
  let cursor: number | undefined;
  let starting: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let polling = false;

  const deliver = (sub: Subscription, rows: ExecutionEventRow[]) => {
    const fresh = rows.filter((r) => r.id > sub.delivered);
    if (fresh.length === 0) return;
    sub.delivered = fresh[fresh.length - 1].id;
    sub.listener(fresh);
  };

  const poll = async () => {
    if (polling || stopped) return;
    polling = true;
    try {
      if (cursor === undefined) return;
      for (;;) {
        const rows = await repos.events.listSince(cursor, PAGE);
        if (rows.length === 0) break;
        cursor = rows[rows.length - 1].id;
        for (const listener of everyRun) listener(rows);
        const byRun = new Map<string, ExecutionEventRow[]>();
        for (const r of rows) byRun.set(r.execution_id, [...(byRun.get(r.execution_id) ?? []), r]);
        for (const sub of subs) {
          const mine = byRun.get(sub.executionId);
          if (!mine) continue;
          if (sub.buffered) sub.buffered.push(...mine);
          else deliver(sub, mine);
        }
        if (rows.length < PAGE) break;
      }
    } catch (err) {
      options.onError?.(err);
    } finally {
      polling = false;
    }
  };

  const stopWhenIdle = () => {
    if (subs.size === 0 && everyRun.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  const ensureRunning = () => {
    if (timer || stopped) return;
    timer = setInterval(() => void poll(), intervalMs);
    timer.unref();
  };

  return {
    subscribe(executionId, afterId, listener) {
      const sub: Subscription = { executionId, delivered: afterId, listener, buffered: [] };
      subs.add(sub);
      ensureRunning();
      void (async () => {
        try {
          // The tail's position is fixed before this run's stored events are read: whatever is
          // stored after it reaches the watcher through the tail, the rest through this read.
          starting ??= repos.events.maxId().then(
            (id) => {
              cursor ??= id;
            },
            (err: unknown) => {
              starting = undefined;
              throw err;
            },
          );
          await starting;
          for (;;) {
            const stored = await repos.events.listAfter(executionId, sub.delivered, PAGE);
            deliver(sub, stored);
            if (stored.length < PAGE) break;
          }
        } catch (err) {
          options.onError?.(err);
        } finally {
          const buffered = sub.buffered ?? [];
          sub.buffered = undefined;
          if (subs.has(sub)) deliver(sub, buffered);
        }
      })();
      return () => {
        subs.delete(sub);
        stopWhenIdle();
      };
    },
    subscribeAll(listener) {
      everyRun.add(listener);
      starting ??= repos.events.maxId().then(
        (id) => {
          cursor ??= id;
        },
        (err: unknown) => {
          starting = undefined;
          options.onError?.(err);
        },
      );
      ensureRunning();
      return () => {
        everyRun.delete(listener);
        stopWhenIdle();
      };
    },
    stop() {
      stopped = true;
      subs.clear();
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
