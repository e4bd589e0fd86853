/** Benchmark activities: they do nothing, so a run measures only Temporal's own scheduling latency. */

/** Returns the wall-clock time at which it ran, so the caller can measure gaps between activities. */
export async function noop(_step: number): Promise<number> {
  return Date.now();
}
