/**
 * The baseline of the interpreter-overhead benchmark: the chain a developer would write by hand
 * for `start → n1 → … → nN → end` with `noop` nodes. It calls the platform's real `noop` node
 * activity (activity type `noop`, one `NodeActivityInput` argument) with the same activity
 * options as `runFlow` — as a local activity when `runFlow` runs it as one — so the only
 * difference between the two is the interpreter itself.
 */
import { proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { NodeActivityInput, NodeActivityResult } from '../../src/shared/flow';

/** Input of {@link handWrittenChain}. */
export interface HandWrittenChainInput {
  execution_id: string;
  flow_id: string;
  owner_id: string;
  /** The flow's `input_data`; the first node sees it as `{result: input}` (the start node's output). */
  input: unknown;
  /** Number of `noop` activities, `n1` … `nN`; node `ni` has `data: {value: i}`. */
  n: number;
  /** `startToCloseTimeout`, `heartbeatTimeout` and `retry` exactly as `runFlow` derives them from the compiled node. */
  options: Pick<ActivityOptions, 'startToCloseTimeout' | 'heartbeatTimeout' | 'retry'>;
  /** Local activities (what `runFlow` does for a noop compiled with `exec.local`), without a heartbeat timeout as it does. */
  local?: boolean;
}

type NoopActivities = { noop(input: NodeActivityInput): Promise<NodeActivityResult> };

/** Runs `n` `noop` node activities one after another; returns the last node's output. */
export async function handWrittenChain(args: HandWrittenChainInput): Promise<unknown> {
  const { heartbeatTimeout: _heartbeat, ...localOptions } = args.options;
  const { noop } = args.local ? proxyLocalActivities<NoopActivities>(localOptions) : proxyActivities<NoopActivities>(args.options);
  let upstream: unknown = { result: args.input };
  for (let i = 1; i <= args.n; i++) {
    const { output } = await noop({
      execution_id: args.execution_id,
      flow_id: args.flow_id,
      owner_id: args.owner_id,
      node_id: `n${i}`,
      node_type: 'noop',
      data: { value: i },
      input: upstream,
    });
    upstream = output;
  }
  return upstream;
}
