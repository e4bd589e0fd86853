import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { ExecutionRow, Repos } from '../storage';
import type { RunStarter } from '../temporal/run-start';
import type { TemporalGate } from '../temporal/temporal-gate';
import type { Actor } from './actor';
import type { RunBacklog } from './run-backlog';
import { createFlowEventHub } from './flow-event-hub';
import { createFlowNodeService } from './flow-nodes';
import { createFlowWatcher } from './flow-watch';
import { executeNodeTest, runNodeTest, type NodeTestRequest } from './node-test';
import { createRunControl } from './run-control';
import type { EventTail } from './run-event-tail';
import { createRunLauncher, type ExecuteRequest } from './run-launcher';
import { createRunReader } from './run-reader';
import { createRunReconciler } from './run-reconciler';
import { createRunRetry } from './run-retry';
import { createRunTemporal } from './run-temporal';
import { createViews, type ExecutionView } from './run-views';

export type { ExecuteRequest } from './run-launcher';
export type { RetryRequest } from './run-retry';
export type { ExecutionView, StatusView, StepView } from './run-views';
export type { Approver, PendingApproval } from './run-control';

/** What the run service needs. */
export interface RunServiceDeps {
  repos: Repos;
  client: Client;
  /** Every Temporal call of the API goes through it (deadlines, fail fast while Temporal is down). */
  gate: TemporalGate;
  /** The API process's reader of the live event log. */
  tail: EventTail;
  namespace: string;
  taskQueue: string;
  uiUrl: string;
  logger: Logger;
  /** How often live streams look at logs and the index row (default 250 ms). */
  watchIntervalMs?: number;
  /** Outbound webhooks: the end of a run the reconciler finds, and deliveries left unstarted. */
  webhooks?: RunWebhooks;
  /** How far the engine is behind; new runs are refused past its limit. */
  backlog?: RunBacklog;
  /** The starter of a worker of this process or its child, when one runs now (eager workflow start). */
  eagerStarter?: () => RunStarter | undefined;
}

/** What the run service tells outbound webhooks (src/services/webhooks/webhook-dispatcher.ts). */
export interface RunWebhooks {
  runFinished(row: ExecutionRow): Promise<void>;
  dispatchPending(): Promise<number>;
}

/**
 * Runs, as the API sees them: started on Temporal (run-launcher), read from the index and from
 * Temporal (run-reader), steered (run-control), retried (run-retry), and kept in step with
 * Temporal by the reconciler. Temporal is the source of truth; the index and the live event log
 * are written by the runs themselves.
 */
export function createRunService(deps: RunServiceDeps) {
  const { repos, client, gate, taskQueue, logger } = deps;
  const view = createViews(deps);
  const temporal = createRunTemporal({ repos, client, gate, onFinished: deps.webhooks?.runFinished });
  const launcher = createRunLauncher({ repos, client, gate, taskQueue, logger, admit: deps.backlog?.admit, eagerStarter: deps.eagerStarter });
  const reader = createRunReader({ repos, temporal, view, tail: deps.tail, watchIntervalMs: deps.watchIntervalMs });
  const control = createRunControl({ repos, gate, temporal, view });
  const retry = createRunRetry({ repos, temporal, launcher, view });
  const reconciler = createRunReconciler({ repos, temporal, launcher, gate, logger, webhooks: deps.webhooks });
  const hub = createFlowEventHub({ repos, tail: deps.tail, onError: (err) => logger.warn({ err }, 'flow live events failed') });
  const flowWatcher = createFlowWatcher({ repos, hub, snapshotOf: reader.snapshotOf });
  const flowNodes = createFlowNodeService({
    repos,
    stepsOf: async (actor, id) => (await reader.get(actor, id)).steps ?? [],
    execute: (actor, test) => executeNodeTest({ client, gate, taskQueue, repos, logger }, actor, test),
  });

  return {
    /**
     * Starts a run; `started` is false when Temporal could not take it now (the run is accepted,
     * `pending`, and the reconciler starts it once Temporal is back).
     */
    async execute(actor: Actor, flowId: string, req: ExecuteRequest): Promise<{ execution: ExecutionView; created: boolean; started: boolean }> {
      const launched = await launcher.execute(actor, flowId, req);
      return { execution: view(launched.row), created: launched.created, started: launched.started };
    },
    /** Throws `Overloaded` (429) when the engine is too far behind to take new runs now. */
    admit: (waitMs?: number) => deps.backlog?.admit(waitMs),
    waitFor: reader.waitFor,
    logs: reader.logs,
    logSummary: reader.logSummary,
    itemSteps: reader.itemSteps,
    list: reader.list,
    get: reader.get,
    status: reader.status,
    openWatch: reader.openWatch,
    /** A run's current state (the data of a `state_sync`), for a watcher that asks again; 404 when not the caller's. */
    snapshot: async (actor: Actor, id: string) => reader.snapshotOf(await reader.getRow(actor, id)),
    /** Checks that the caller may watch the flow (404 otherwise): its state and its runs' live events. */
    openFlowWatch: flowWatcher.open,
    /** A stored flow's nodes: their latest input and output, and tests of one node as the flow defines it. */
    flowNodes,
    control: control.control,
    deliverEvent: control.deliverEvent,
    decide: control.decide,
    decideByLink: control.decideByLink,
    pendingApprovals: control.pendingApprovals,
    retry,
    /** Runs one node through Temporal for debugging (see node-test.ts). */
    testNode: (actor: Actor, req: NodeTestRequest) => runNodeTest({ client, gate, taskQueue, repos, logger }, actor, req),
    /** Loads, compiles and records a child run for a `sub-flow` node (worker side). */
    prepareChild: launcher.prepareChild,
    /** One reconciler pass (started periodically, and when Temporal comes back). */
    reconcileActive: reconciler.reconcileActive,
  };
}

/** Runs: start them on Temporal, read their state, and steer them (pause, approve…). */
export type RunService = ReturnType<typeof createRunService>;
