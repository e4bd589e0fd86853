import type { DataConverter } from '@temporalio/common';
import { Worker, type InjectedSinks, type NativeConnection } from '@temporalio/worker';
import type { FlowSinks } from '../shared/run-transitions';
import { createActivities } from '../../activities';
import type { NodeActivityDeps } from '../../activities/node-activity';
import type { SystemActivityDeps } from '../../activities/system';
import type { WebhookActivityDeps } from '../../activities/webhooks';
import { getWorkflowBundle } from './workflow-bundle';

/** What a worker needs: a Temporal connection and the services node activities use. */
export interface WorkerDeps extends NodeActivityDeps, SystemActivityDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** The worker's data converter (the platform passes the claim-check codec). */
  dataConverter?: DataConverter;
  /** Limits; defaults suit a 2-core machine. */
  maxConcurrentActivityTaskExecutions?: number;
  /** Where runs report their transitions (the run index); none: they are not reported. */
  sinks?: InjectedSinks<FlowSinks>;
  /** Sends outbound webhook deliveries (`deliverWebhook`); none: the worker has no webhook activities. */
  webhooks?: WebhookActivityDeps;
}

/** Runs report their transitions to nothing (workers without a database: tests, benches). */
export const NO_RUN_INDEX: InjectedSinks<FlowSinks> = { runIndex: { record: { fn: () => undefined } } };

/** Creates the worker that runs `runFlow` and every node activity. */
export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    workflowBundle: await getWorkflowBundle(),
    activities: createActivities(deps),
    dataConverter: deps.dataConverter,
    maxConcurrentActivityTaskExecutions: deps.maxConcurrentActivityTaskExecutions ?? 100,
    sinks: deps.sinks ?? NO_RUN_INDEX,
  });
}
