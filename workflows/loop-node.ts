import { patched, startChild, workflowInfo } from '@temporalio/workflow';
import { RUN_FLOW, type CompiledFlow, type CompiledNode, type RunFlowInput } from '../src/shared/flow';
import { renderFor } from './evaluation';
import type { GraphRunner, NodeOutcome } from './graph-runner';
import { runLoopItems, type LoopItemsResult } from './loop-items';

/**
 * Input of a `runLoopBatch` child workflow: a slice of a large loop's items. Declared here, where
 * it is built, so this module needs nothing from loop-batch (which imports the node executor).
 */
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
  /**
   * The batch's number in the loop (0-based). Only reported with the batch's steps, never read
   * for a decision; batches started before it existed lack it (see {@link batchSizeFor}).
   */
  batch?: number;
}

/** Loops whose items × body nodes stay under this run in the parent's own history. */
export const INLINE_LOOP_LIMIT = 100;
/** Body node executions per child batch workflow: keeps every history far from its limits. */
export const BATCH_NODE_BUDGET = 400;

/** Items per child batch of a loop over `body`. */
export function batchSizeFor(body: CompiledFlow): number {
  return Math.max(1, Math.floor(BATCH_NODE_BUDGET / Math.max(1, body.nodes.length)));
}

/**
 * The `loop` node: runs `data.body` once per item of `data.items`. Small loops run inline; large
 * ones are split into child `runLoopBatch` workflows so no history grows with the item count.
 */
export async function runLoopNode(node: CompiledNode, runner: GraphRunner): Promise<NodeOutcome> {
  const items = await renderFor(node, runner, node.data.items);
  if (!Array.isArray(items)) {
    throw new Error(`loop: items must evaluate to an array, got ${items === null ? 'null' : typeof items}`);
  }
  const body = node.data.body as CompiledFlow | undefined;
  // Without a body (seed 001's loop config), each item is its own result. Loops compiled before
  // the body became optional always have one, so their runs never take this path.
  if (!body) return { output: { result: items }, port: 'default', input: { items: items.length } };
  const concurrency = Math.max(1, Math.min(50, Number(node.data.concurrency ?? 1)));
  const errorHandling = node.data.error_handling === 'continue' ? 'continue' : 'stop';
  const baseContext = { ...runner.context };
  const bodySize = Math.max(1, body.nodes.length);
  let res: LoopItemsResult;
  if (items.length * bodySize <= INLINE_LOOP_LIMIT) {
    res = await runLoopItems({
      body,
      items,
      offset: 0,
      concurrency,
      errorHandling,
      baseContext,
      scopeKey: `${runner.scopeKey}${node.id}/`,
      runnerFor: (ctx, key) => runner.child(body, ctx, key),
    });
  } else {
    res = await runBatches(node, runner, items, body, concurrency, errorHandling, baseContext);
  }
  if (res.stoppedAt) {
    const s = res.stoppedAt;
    throw new Error(`loop item ${s.index} failed at node ${s.node_id}: ${s.error.message}`);
  }
  const output: Record<string, unknown> = { result: res.results };
  if (res.errors.length) output.errors = res.errors;
  return { output, port: 'default', input: { items: items.length, concurrency, error_handling: errorHandling } };
}

async function runBatches(
  node: CompiledNode,
  runner: GraphRunner,
  items: unknown[],
  body: CompiledFlow,
  concurrency: number,
  errorHandling: 'stop' | 'continue',
  baseContext: Record<string, unknown>,
): Promise<LoopItemsResult> {
  const batchSize = batchSizeFor(body);
  const batches: { offset: number; items: unknown[] }[] = [];
  for (let offset = 0; offset < items.length; offset += batchSize) {
    batches.push({ offset, items: items.slice(offset, offset + batchSize) });
  }
  // Items run `concurrency` at a time overall: lanes of batches, each batch sequential inside.
  const lanes = Math.min(concurrency, batches.length);
  const perBatch = Math.max(1, Math.floor(concurrency / lanes));
  const out: LoopItemsResult = { results: new Array(items.length).fill(null), errors: [] };
  const { workflowId } = workflowInfo();
  let next = 0;
  const lane = async () => {
    while (next < batches.length && !out.stoppedAt) {
      // A paused run starts no new batch (batches already running finish). Runs recorded before
      // this started batches while paused, hence the patch.
      if (runner.run.paused && patched('loop-batches-wait-while-paused')) await runner.run.whenRunning();
      const number = next++;
      const b = batches[number];
      const input: LoopBatchInput = {
        run: runner.run.input,
        body,
        items: b.items,
        offset: b.offset,
        concurrency: perBatch,
        error_handling: errorHandling,
        base_context: baseContext,
        scope_key: `${runner.scopeKey}${node.id}/`,
        batch: number,
      };
      // startChild + result issues the same commands as executeChild; the handle lets pause reach it.
      const child = await startChild<(i: LoopBatchInput) => Promise<LoopItemsResult>>(RUN_FLOW.loopBatchWorkflow, {
        workflowId: `${workflowId}/${runner.scopeKey}${node.id}/batch-${b.offset}`,
        args: [input],
      });
      const r = await runner.run.childResult<LoopItemsResult>(child);
      r.results.forEach((v, i) => (out.results[b.offset + i] = v));
      out.errors.push(...r.errors);
      if (r.stoppedAt && !out.stoppedAt) out.stoppedAt = r.stoppedAt;
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return out;
}
