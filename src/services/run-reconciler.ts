import type { Logger } from 'pino';
import { Invalid, NotFound, Unavailable } from '../shared/errors';
import type { ExecutionRow, Repos } from '../storage';
import type { TemporalGate } from '../temporal/temporal-gate';
import type { RunLauncher } from './run-launcher';
import type { RunTemporal } from './run-temporal';

/** Options of {@link createRunReconciler}. */
export interface RunReconcilerDeps {
  repos: Repos;
  temporal: RunTemporal;
  launcher: RunLauncher;
  gate: TemporalGate;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** A pending run younger than this is left to the request that accepted it (default 2 s). */
  pendingGraceMs?: number;
  /** How long a running run goes unchecked before it is compared with Temporal again (default 30 s). */
  recheckMs?: number;
  /** Rows per page (default 100). */
  pageSize?: number;
  /** Outbound webhooks: each pass also starts the deliveries that could not be started. */
  webhooks?: { dispatchPending(): Promise<number> };
}

/** What one pass did. */
export interface ReconcilePass {
  started: number;
  checked: number;
}

/**
 * The safety net behind the runs' own reports: a pass starts the runs the API accepted while
 * Temporal was unreachable (oldest first, before anything else) and then compares every other
 * unfinished run with Temporal, least recently checked first, page after page, so no run is
 * starved however many wait on approvals; last, it starts the webhook deliveries whose workflow
 * could not be started. Passes never overlap; a pass stops as soon as Temporal
 * is unreachable and the next starts when it is back.
 */
export function createRunReconciler(deps: RunReconcilerDeps) {
  const { repos, temporal, launcher, gate, logger } = deps;
  const pageSize = deps.pageSize ?? 100;
  let running: Promise<ReconcilePass> | undefined;

  async function start(row: ExecutionRow): Promise<boolean> {
    const flow = await repos.flows.get(row.flow_id, { includeDeleted: true });
    try {
      if (!flow) throw new NotFound('workflow not found');
      const input = await launcher.buildInput(flow, row.flow_version, row.id, row.trigger, row.input_data);
      const { started } = await launcher.launch(row, input, flow.name);
      return started;
    } catch (err) {
      if (err instanceof Unavailable) throw err;
      if (!(err instanceof NotFound || err instanceof Invalid)) throw err;
      // The run can never start (its flow or version is gone): say so instead of retrying forever.
      await repos.executions.update(
        row.id,
        { status: 'failed', error: { message: `the run could not be started: ${err.message}` }, finished_at: new Date().toISOString() },
        { ifStatusIn: ['pending'] },
      );
      return false;
    }
  }

  async function pass(): Promise<ReconcilePass> {
    const done: ReconcilePass = { started: 0, checked: 0 };
    if (!gate.isUp()) return done;
    try {
      for (;;) {
        const createdBefore = new Date(Date.now() - (deps.pendingGraceMs ?? 2_000)).toISOString();
        const pending = await repos.executions.listPending({ limit: pageSize, createdBefore });
        for (const row of pending) if (await start(row)) done.started++;
        if (pending.length < pageSize) break;
      }
      const checkedBefore = new Date(Date.now() - (deps.recheckMs ?? 30_000)).toISOString();
      for (;;) {
        const rows = await repos.executions.listToReconcile({ limit: pageSize, checkedBefore });
        for (const row of rows) {
          await temporal.reconcile(row);
          done.checked++;
        }
        await repos.executions.markChecked(rows.map((r) => r.id));
        if (rows.length < pageSize) break;
      }
      await deps.webhooks?.dispatchPending();
    } catch (err) {
      if (!(err instanceof Unavailable)) logger.warn({ err }, 'reconciler pass failed');
    }
    if (done.started) logger.info({ started: done.started }, 'started runs accepted while Temporal was unavailable');
    return done;
  }

  return {
    /** Runs one pass, or joins the one under way. */
    reconcileActive(): Promise<ReconcilePass> {
      running ??= pass().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}

/** The reconciler. */
export type RunReconciler = ReturnType<typeof createRunReconciler>;
