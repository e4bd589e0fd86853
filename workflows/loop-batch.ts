import { workflowInfo } from '@temporalio/workflow';
import { GraphRunner } from './graph-runner';
import { runLoopItems, type LoopItemsResult } from './loop-items';
import { batchSizeFor, type LoopBatchInput } from './loop-node';
import { RunState } from './run-state';
import { executeNode } from './execute-node';

/** Child workflow running one slice of a large loop, so the parent's history stays bounded. */
export async function runLoopBatch(input: LoopBatchInput): Promise<LoopItemsResult> {
  // Which batch this is only tags the steps it reports (a sink): no command depends on it.
  const number = input.batch ?? Math.floor(input.offset / batchSizeFor(input.body));
  const run = new RunState(
    { ...input.run, definition: { nodes: [], edges: [] } },
    { batch: { number, workflow_id: workflowInfo().workflowId } },
  );
  // The parent forwards its pause and resume here (FORWARD_PAUSE_PATCH); before that no one sent them.
  run.handlePauseSignals();
  return runLoopItems({
    body: input.body,
    items: input.items,
    offset: input.offset,
    concurrency: input.concurrency,
    errorHandling: input.error_handling,
    baseContext: input.base_context,
    scopeKey: input.scope_key,
    runnerFor: (ctx, key) => new GraphRunner(input.body, ctx, { run, execute: executeNode, scopeKey: key }),
  });
}
