import { notFound } from '../shared/errors';
import type { Actor } from './actor';
import type { FlowExport, FlowService } from './flow-service';
import type { ExecutionView, RunService } from './run-service';

/** Most items one batch call may hold (`/batch/*`). */
export const MAX_BATCH_ITEMS = 100;

/** One item's outcome: its value, or the error the single-item call would have thrown. */
export type BatchOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A flow to run in a batch, with its own input and version. */
export interface BatchExecuteItem {
  workflow_id: string;
  input_data?: unknown;
  version?: number;
}

/** What starting one run did (as `POST /workflows/{id}/execute` without `wait`). */
export interface BatchStarted {
  execution: ExecutionView;
  /** False when Temporal could not take it now: accepted as `pending`, started once it is back. */
  started: boolean;
}

/** Many flows in one call; each item is done as its single-item route does it, on its own. */
export interface BatchService {
  execute(actor: Actor, items: readonly BatchExecuteItem[]): Promise<BatchOutcome<BatchStarted>[]>;
  exportFlows(actor: Actor, ids: readonly string[]): Promise<BatchOutcome<FlowExport>[]>;
  remove(actor: Actor, ids: readonly string[]): Promise<BatchOutcome<null>[]>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Runs `work` for each id in order, one at a time (a batch costs the engine what the same calls
 * made one after another would), collecting each outcome; an id that cannot be a flow's is not
 * found, as on the single-item routes.
 */
async function each<I, T>(items: readonly I[], idOf: (item: I) => string, work: (item: I) => Promise<T>): Promise<BatchOutcome<T>[]> {
  const out: BatchOutcome<T>[] = [];
  for (const item of items) {
    try {
      if (!UUID.test(idOf(item))) throw notFound('workflow');
      out.push({ ok: true, value: await work(item) });
    } catch (error) {
      out.push({ ok: false, error });
    }
  }
  return out;
}

/** Creates the batch service over the flow and run services (so ownership and checks are theirs). */
export function createBatchService({ flows, runs }: { flows: FlowService; runs: RunService }): BatchService {
  return {
    execute: (actor, items) =>
      each(
        items,
        (i) => i.workflow_id,
        async (i) => {
          const { execution, started } = await runs.execute(actor, i.workflow_id, {
            input_data: i.input_data,
            version: i.version,
            trigger: { type: 'manual', user_id: actor.userId, batch: true },
          });
          return { execution, started };
        },
      ),
    exportFlows: (actor, ids) =>
      each(
        ids,
        (id) => id,
        (id) => flows.exportFlow(actor, id),
      ),
    remove: (actor, ids) =>
      each(
        ids,
        (id) => id,
        async (id) => {
          await flows.remove(actor, id);
          return null;
        },
      ),
  };
}
