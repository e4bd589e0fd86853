import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Overloaded } from '../shared/errors';
import type { TemporalGate } from '../temporal/temporal-gate';

/** What the backlog watch needs. */
export interface RunBacklogDeps {
  client: Client;
  gate: TemporalGate;
  namespace: string;
  taskQueue: string;
  /** Refuse new runs while the oldest waiting task is older than this; 0: never refuse. */
  limitMs: number;
  /** How old a sample may be before a new one is taken (default 500 ms). */
  sampleMs?: number;
  now?: () => number;
}

/** A sample of the task queue: how long its oldest waiting task has waited (workflow or activity). */
export interface BacklogSample {
  ageMs: number;
  count: number;
  at: number;
}

const QUEUE_TYPES = [
  temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
];

function durationMs(d: temporal.api.taskqueue.v1.TaskQueueStats['approximateBacklogAge'] | null | undefined): number {
  if (!d) return 0;
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

/**
 * An honest accept rate: how far the engine is behind, from Temporal's own task queue statistics
 * (the age of the oldest workflow or activity task no worker has taken yet). Past `limitMs` new
 * runs are refused with {@link Overloaded} (429 and `Retry-After`) instead of being accepted faster
 * than they can run; a caller that waits for the result is refused as soon as the backlog is older
 * than its own timeout, since its run could not even start in time.
 *
 * Sampling never delays a request: a check uses the last sample and, when it is older than
 * `sampleMs`, takes a new one in the background. While Temporal cannot be reached nothing is
 * refused here (runs are accepted `pending` and start when it is back).
 */
export function createRunBacklog(deps: RunBacklogDeps) {
  const { client, gate, namespace, taskQueue, limitMs } = deps;
  const sampleMs = deps.sampleMs ?? 500;
  const now = deps.now ?? Date.now;
  let last: BacklogSample = { ageMs: 0, count: 0, at: 0 };
  let sampling: Promise<BacklogSample> | undefined;

  async function takeSample(): Promise<BacklogSample> {
    const stats = await Promise.all(
      QUEUE_TYPES.map((taskQueueType) =>
        gate.call(
          () => client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType, reportStats: true }),
          { deadlineMs: 2_000 },
        ),
      ),
    );
    last = {
      ageMs: Math.max(...stats.map((s) => durationMs(s.stats?.approximateBacklogAge))),
      count: stats.reduce((n, s) => n + Number(s.stats?.approximateBacklogCount ?? 0), 0),
      at: now(),
    };
    return last;
  }

  /** A fresh sample (single-flight); a failed one keeps the last. */
  function sample(): Promise<BacklogSample> {
    sampling ??= takeSample()
      .catch(() => last)
      .finally(() => {
        sampling = undefined;
      });
    return sampling;
  }

  /** The last sample, refreshed in the background when stale. */
  function current(): BacklogSample {
    if (now() - last.at >= sampleMs && gate.isUp()) void sample();
    return last;
  }

  return {
    current,
    sample,
    /**
     * Throws {@link Overloaded} when a new run should not be accepted now: the backlog is past the
     * limit, or (for a caller that waits `waitMs` for the result) older than that wait.
     */
    admit(waitMs?: number): void {
      if (limitMs <= 0) return;
      const { ageMs, count } = current();
      const bound = waitMs === undefined ? limitMs : Math.min(limitMs, waitMs);
      if (ageMs <= bound) return;
      // The backlog drains at least as fast as it grew past the bound; ask to come back when it may be under it.
      const retryAfterS = Math.min(60, Math.max(1, Math.ceil((ageMs - bound) / 1000)));
      throw new Overloaded(
        waitMs !== undefined && waitMs < limitMs
          ? `runs wait ${Math.round(ageMs)} ms to start, longer than timeout_ms; retry in ${retryAfterS} s`
          : `the engine is behind: runs wait ${Math.round(ageMs)} ms to start; retry in ${retryAfterS} s`,
        { retry_after_s: retryAfterS, backlog_ms: Math.round(ageMs), backlog_tasks: count, limit_ms: bound },
      );
    },
  };
}

/** The watch over how far the engine is behind. */
export type RunBacklog = ReturnType<typeof createRunBacklog>;
