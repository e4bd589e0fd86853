import { GraphRunner } from './graph-runner';
import { runLoopItems, type LoopItemsResult } from './loop-items';
import type { LoopBatchInput } from './loop-node';
import { RunState } from './run-state';
import { executeNode } from './execute-node';

/** Child workflow running one slice of a large loop, so the parent's history stays bounded. */
export async function runLoopBatch(input: LoopBatchInput): Promise<LoopItemsResult> {
  const run = new RunState({ ...input.run, definition: { nodes: [], edges: [] } }, { batch: true });
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
