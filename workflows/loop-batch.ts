import type { CompiledFlow, RunFlowInput } from '../src/shared/flow';
import { GraphRunner } from './graph-runner';
import { runLoopItems, type LoopItemsResult } from './loop-items';
import { RunState } from './run-state';
import { executeNode } from './execute-node';

/** Input of a `runLoopBatch` child workflow: a slice of a large loop's items. */
export interface LoopBatchInput {
  /** The parent run's input (ids used by activities); its definition is not used. */
  run: RunFlowInput;
  body: CompiledFlow;
  items: unknown[];
  offset: number;
  concurrency: number;
  error_handling: 'stop' | 'continue';
  base_context: Record<string, unknown>;
  scope_key: string;
}

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
