import type { InjectedSinks } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { ExecutionStatus } from '../shared/flow';
import type { FlowSinks, RunTransition } from '../shared/run-transitions';
import { loopPlaceOf } from '../shared/step-scope';
import {
  ACTIVE_EXECUTION_STATUSES,
  approvalKey,
  createExecutionEventRepo,
  createExecutionRepo,
  createItemStepRepo,
  createPendingApprovalRepo,
  type Db,
  type ExecutionPatch,
  type ItemStepRow,
  type NewExecutionEvent,
} from '../storage';

/** Node transitions that change nothing but the node's step (a waiting node makes the run wait, and may be an approval). */
const STEP_ONLY: ReadonlySet<RunTransition['type']> = new Set(['node_started', 'node_completed', 'node_failed', 'node_skipped']);

/**
 * Transitions that may wait up to {@link NODE_BATCH_MS} before they are written: a node's step
 * changes, and the start of a run whose row the API already marked running when it started it (a
 * schedule's run, `run` set, is listed from this report on). A short run then costs one
 * transaction, written after its last workflow task, instead of one more in the middle of it
 * on the thread that runs its activities. A node that starts waiting (an approval, an event, a
 * timer) is written at once, with what waits: the run's status and the pending approval.
 */
function waitsForCompany(t: RunTransition): boolean {
  return STEP_ONLY.has(t.type) || (t.type === 'execution_started' && !t.run);
}

/** What the run index sink needs. */
export interface RunIndexSinkDeps {
  db: Db;
  logger: Pick<Logger, 'warn'>;
  /** Outbound webhooks: given each batch once it is written (src/services/webhooks/webhook-dispatcher.ts). */
  webhooks?: { dispatchTransitions(batch: readonly RunTransition[]): Promise<void> };
  /**
   * Runs before each batch is written: the worker writes the node log lines it holds
   * (src/worker/node-log-writer.ts), so a run's lines are stored before its end is.
   */
  beforeWrite?: () => Promise<void>;
}

/** The sink and a way to wait for what it has been given to reach the database. */
export interface RunIndexSink {
  sinks: InjectedSinks<FlowSinks>;
  /** Resolves when every transition received so far is written (tests, shutdown). */
  flush(): Promise<void>;
}

const TERMINAL: Partial<Record<RunTransition['type'], ExecutionStatus>> = {
  execution_completed: 'completed',
  execution_failed: 'failed',
  execution_cancelled: 'cancelled',
};
const LIVE_STATUSES: readonly ExecutionStatus[] = ['running', 'paused', 'waiting'];
/** A write that fails is retried this many times (then logged; the reconciler repairs the row). */
const MAX_ATTEMPTS = 5;
/**
 * How long node transitions (and a run's start, see `waitsForCompany`) may wait for company before
 * they are written. Any other run-level transition (paused, waiting, finished…) is written at the
 * end of its event-loop turn, with everything waiting, as is a batch of MAX_BATCH; so a run of
 * light nodes (one activation per node) costs a transaction every few nodes instead of one per node.
 */
export const NODE_BATCH_MS = 20;
const MAX_BATCH = 500;

/**
 * The worker side of run reporting (see `src/shared/run-transitions.ts`): stores every transition
 * in the live event log and applies it to the run's index row — started, paused / waiting /
 * running, finished with its output or error — and keeps the last state of every loop item's
 * steps (`execution_item_steps`), in one transaction per batch. Transitions are
 * batched per event-loop turn, so a burst of runs costs a few transactions rather than one write
 * per node. A row already in a terminal state is never changed again. With `webhooks`, each written
 * batch is then handed to outbound webhooks.
 */
export function createRunIndexSink(deps: RunIndexSinkDeps): RunIndexSink {
  let queue: RunTransition[] = [];
  // When each end reached the worker: the run's last workflow task had just been processed.
  const endedAt = new WeakMap<RunTransition, number>();
  let writing: Promise<void> = Promise.resolve();
  // Webhooks go out in a chain of their own, so a slow receiver or Temporal call never holds up the index.
  let dispatching: Promise<void> = Promise.resolve();
  let scheduled = false;

  const write = async (batch: RunTransition[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await deps.db.transaction(async (trx) => apply(sinkRepos(trx), batch, endedAt));
        return;
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS) {
          deps.logger.warn({ err, transitions: batch.length }, 'could not write run transitions; the reconciler will repair the index');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  };

  let timer: NodeJS.Timeout | undefined;
  let immediate = false;

  const writeQueued = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    immediate = false;
    scheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    const written = writing.then(async () => {
      await deps.beforeWrite?.();
      await write(batch);
    });
    writing = written;
    const webhooks = deps.webhooks;
    if (webhooks) {
      dispatching = Promise.all([dispatching, written])
        .then(() => webhooks.dispatchTransitions(batch))
        .catch((err) => deps.logger.warn({ err }, 'could not dispatch webhooks'));
    }
  };

  const schedule = (transition: RunTransition) => {
    const urgent = !waitsForCompany(transition) || queue.length >= MAX_BATCH;
    if (urgent && !immediate) {
      immediate = true;
      scheduled = true;
      setImmediate(writeQueued);
      return;
    }
    if (scheduled) return;
    scheduled = true;
    timer = setTimeout(writeQueued, NODE_BATCH_MS);
  };

  return {
    sinks: {
      runIndex: {
        record: {
          fn: (_info, transitions) => {
            const now = Date.now();
            for (const transition of transitions) {
              if (TERMINAL[transition.type]) endedAt.set(transition, now);
              queue.push(transition);
              schedule(transition);
            }
          },
          callDuringReplay: false,
        },
      },
    },
    async flush() {
      // What waits for company is written now.
      if (timer) writeQueued();
      for (;;) {
        const pending = writing;
        const sending = dispatching;
        await new Promise((resolve) => setImmediate(resolve));
        await Promise.all([pending, sending]);
        if (queue.length === 0 && !scheduled && pending === writing && sending === dispatching) return;
      }
    },
  };
}

/** The repositories a batch touches, on `trx` (building every repository per batch cost more than the writes). */
function sinkRepos(trx: Db) {
  return {
    executions: createExecutionRepo(trx),
    events: createExecutionEventRepo(trx),
    itemSteps: createItemStepRepo(trx),
    approvals: createPendingApprovalRepo(trx),
  };
}

type Repos = ReturnType<typeof sinkRepos>;

async function apply(repos: Repos, batch: RunTransition[], endedAt: WeakMap<RunTransition, number>): Promise<void> {
  // A run the API did not start (a schedule's) is listed from its first report on.
  for (const t of batch) if (t.type === 'execution_started' && t.run) await indexRun(repos, t);
  await repos.events.insertMany(batch.map(toEvent));
  await repos.itemSteps.upsertMany(itemSteps(batch));
  await trackApprovals(repos, batch);
  // One row update per run and kind of change, with the batch's last word on its status.
  const byRun = new Map<string, RunTransition[]>();
  for (const t of batch) byRun.set(t.execution_id, [...(byRun.get(t.execution_id) ?? []), t]);
  for (const [id, transitions] of byRun) {
    const started = transitions.find((t) => t.type === 'execution_started');
    const end = transitions.find((t) => TERMINAL[t.type]);
    if (started) {
      await repos.executions.markStarted(id, { temporal_run_id: started.run_id, ...(started.started_at ? { started_at: started.started_at } : {}) });
    }
    if (end) {
      // Workflow time stands still during a workflow task, so a run that ends in its first one
      // (light nodes only) would last 0 ms by it: the end counts from when the worker had it, as
      // Temporal's close time (which the reconciler uses) counts from when the server had it.
      const finishedMs = Math.max(Date.parse(end.at), endedAt.get(end) ?? 0);
      const patch: ExecutionPatch = {
        status: TERMINAL[end.type],
        finished_at: new Date(finishedMs).toISOString(),
        output_data: end.output_data ?? null,
        error: end.error ?? null,
      };
      // Runs report their start time with their end; the row has it for older reports.
      const startedAt = started?.started_at ?? end.started_at ?? (await repos.executions.get(id))?.started_at;
      if (startedAt) {
        patch.started_at = startedAt;
        patch.execution_time_ms = Math.max(0, finishedMs - Date.parse(startedAt));
      }
      await repos.executions.update(id, patch, { ifStatusIn: ACTIVE_EXECUTION_STATUSES });
      continue;
    }
    const last = [...transitions].reverse().find((t) => t.status !== undefined && LIVE_STATUSES.includes(t.status));
    // Only when it changes: most batches are node transitions of a run that stays running.
    if (last?.status) await repos.executions.update(id, { status: last.status }, { ifStatusIn: LIVE_STATUSES.filter((s) => s !== last.status) });
  }
}

async function indexRun(repos: Repos, t: RunTransition): Promise<void> {
  const run = t.run!;
  await repos.executions.createIfMissing({
    id: t.execution_id,
    flow_id: run.flow_id,
    flow_version: run.flow_version,
    owner_id: run.owner_id,
    trigger: run.trigger,
    input_data: run.input_data,
    parent_execution_id: run.parent_execution_id,
    ...(run.workflow_id ? { temporal_workflow_id: run.workflow_id } : {}),
    status: 'running',
    temporal_run_id: t.run_id,
    started_at: t.started_at ?? t.at,
  });
}

interface ApprovalWait {
  kind?: string;
  name?: string;
  instructions?: string;
  approvers?: string[];
}

/** Keeps `pending_approvals` in step: a waiting approval node is added, a settled one removed. */
async function trackApprovals(repos: Repos, batch: RunTransition[]): Promise<void> {
  for (const t of batch) {
    if (TERMINAL[t.type]) {
      if (t.approvals !== false) await repos.approvals.removeForExecution(t.execution_id);
      continue;
    }
    if (!t.step || t.step.node_type !== 'approval') continue;
    const key = approvalKey(t.execution_id, t.step.scope ?? '', t.step.node_id);
    const wait = t.waiting_for as ApprovalWait | undefined;
    if (t.type === 'node_waiting' && wait?.kind === 'approval') {
      const row = await repos.executions.get(t.execution_id);
      if (!row) continue;
      await repos.approvals.put({
        key,
        execution_id: row.id,
        flow_id: row.flow_id,
        flow_version: row.flow_version,
        owner_id: row.owner_id,
        node_id: t.step.node_id,
        scope: t.step.scope ?? '',
        title: wait.name ?? t.step.label ?? null,
        instructions: wait.instructions ?? null,
        approvers: wait.approvers ?? [],
        requested_at: t.step.started_at ?? t.at,
      });
    } else if (t.type !== 'node_started' && t.type !== 'node_waiting' && t.type !== 'approval_reminder') {
      await repos.approvals.remove(key);
    }
  }
}

/** The steps of loop items among `batch`'s node transitions, in the order they were reported. */
function itemSteps(batch: RunTransition[]): ItemStepRow[] {
  const rows: ItemStepRow[] = [];
  for (const t of batch) {
    const s = t.step;
    const place = loopPlaceOf(s?.scope);
    if (!s || !place) continue;
    rows.push({
      execution_id: t.execution_id,
      scope: place.scope,
      node_id: s.node_id,
      node_type: s.node_type,
      label: s.label ?? null,
      loop_node_id: place.loop_node_id,
      item_index: place.item_index,
      batch: s.batch?.number ?? null,
      batch_workflow_id: s.batch?.workflow_id ?? null,
      status: s.status,
      attempt: s.attempt,
      output: s.output ?? null,
      error: s.error ?? null,
      port: s.port ?? null,
      started_at: s.started_at ?? null,
      finished_at: s.finished_at ?? null,
      duration_ms: s.duration_ms ?? null,
    });
  }
  return rows;
}

function toEvent(t: RunTransition): NewExecutionEvent {
  const { execution_id, run_id, seq, type, at, step, run: _run, approvals: _approvals, ...rest } = t;
  return {
    execution_id,
    event_key: `${run_id}:${seq}`,
    type,
    node_id: step?.node_id ?? null,
    data: { ...rest, ...(step ? { step } : {}) },
    at,
  };
}
