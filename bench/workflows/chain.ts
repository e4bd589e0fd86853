import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities/noop';

const { noop } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

/**
 * Runs `n` no-op activities one after another and returns the wall-clock time each of them ran at.
 * Used by the dev-server tuning benchmark and by tests that need a real multi-activity workflow.
 */
export async function chain(n: number): Promise<number[]> {
  const ranAt: number[] = [];
  for (let i = 0; i < n; i++) ranAt.push(await noop(i));
  return ranAt;
}
