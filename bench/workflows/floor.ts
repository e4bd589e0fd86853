/**
 * Workflows of `bench/temporal-floor.ts`: the least a run can cost on Temporal, written by hand.
 * `emptyRun` returns its input; `oneStepRun` is a 3-node flow (start → one step → end) as a
 * developer would write it, with the step as a local activity, as the platform runs a light node.
 */
import { proxyLocalActivities } from '@temporalio/workflow';

const { step } = proxyLocalActivities<{ step(value: unknown): Promise<unknown> }>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3 },
});

/** Returns its input: one workflow task, no activity. */
export async function emptyRun(input: unknown): Promise<unknown> {
  return input;
}

/** Runs one local activity and returns its result. */
export async function oneStepRun(input: { n: number }): Promise<{ n: unknown }> {
  return { n: await step(input.n) };
}
