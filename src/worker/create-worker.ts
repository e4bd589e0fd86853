import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createActivities } from '../../activities';
import type { NodeActivityDeps } from '../../activities/node-activity';
import type { SystemActivityDeps } from '../../activities/system';
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
}

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
  });
}
