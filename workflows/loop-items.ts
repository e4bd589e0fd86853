import type { CompiledFlow } from '../src/shared/flow';
import type { GraphRunner } from './graph-runner';
import type { NodeErrorInfo } from './errors';

/** What a loop over some items produced. */
export interface LoopItemsResult {
  results: unknown[];
  errors: { index: number; node_id: string; error: NodeErrorInfo }[];
  /** Set when `error_handling` is `stop` and an item failed. */
  stoppedAt?: { index: number; node_id: string; error: NodeErrorInfo };
}

/** Options of {@link runLoopItems}. */
export interface LoopItemsOptions {
  body: CompiledFlow;
  items: unknown[];
  /** Index of `items[0]` in the whole loop (batches run slices). */
  offset: number;
  concurrency: number;
  errorHandling: 'stop' | 'continue';
  /** Context every item sees, plus `item` and `index`. */
  baseContext: Record<string, unknown>;
  /** Creates a runner for one item's body. */
  runnerFor: (context: Record<string, unknown>, scopeKey: string) => GraphRunner;
  scopeKey: string;
}

/** Runs a loop body once per item, at most `concurrency` at a time. */
export async function runLoopItems(o: LoopItemsOptions): Promise<LoopItemsResult> {
  const results: unknown[] = new Array(o.items.length).fill(null);
  const out: LoopItemsResult = { results, errors: [] };
  let next = 0;
  const worker = async () => {
    while (next < o.items.length && !out.stoppedAt) {
      const i = next++;
      const index = o.offset + i;
      const context: Record<string, unknown> = { ...o.baseContext, item: o.items[i], index };
      // The loop's item_variable names the item too; bodies compiled before it existed have none.
      if (o.body.item_variable) context[o.body.item_variable] = o.items[i];
      const runner = o.runnerFor(context, `${o.scopeKey}${index}/`);
      const res = await runner.execute();
      if (res.kind === 'failed') {
        const failure = { index, node_id: res.nodeId, error: res.error };
        out.errors.push(failure);
        if (o.errorHandling === 'stop' && !out.stoppedAt) out.stoppedAt = failure;
      } else if (res.kind === 'completed' || res.kind === 'terminated') {
        results[i] = res.output;
      }
    }
  };
  const lanes = Math.max(1, Math.min(o.concurrency, o.items.length));
  await Promise.all(Array.from({ length: lanes }, worker));
  return out;
}
