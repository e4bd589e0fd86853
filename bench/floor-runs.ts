/**
 * Temporal's floor, shared by `bench/temporal-floor.ts` and `bench/run-phases.ts`: a worker of the
 * hand-written workflows in `bench/workflows/floor.ts`, and their runs started as the platform
 * starts its own (eager start, the platform's search attributes).
 */
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { SA } from '../src/shared/search-attributes';

/** A worker of `emptyRun` and `oneStepRun` on `taskQueue` (its one activity returns its input). */
export function createFloorWorker(connection: NativeConnection, taskQueue: string): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    workflowsPath: require.resolve('./workflows/floor'),
    activities: { step: async (value: unknown) => value },
  });
}

/** Starts `workflow` with input `{n}`, eagerly on `client`'s connection, with the platform's search attributes. */
export function startFloorRun(client: Client, taskQueue: string, workflow: 'emptyRun' | 'oneStepRun', workflowId: string, n: number) {
  return client.workflow.start(workflow, {
    taskQueue,
    workflowId,
    args: [{ n }],
    requestEagerStart: true,
    typedSearchAttributes: [
      { key: SA.FlowId, value: 'floor' },
      { key: SA.FlowVersion, value: 1 },
      { key: SA.OwnerId, value: 'bench' },
      { key: SA.TriggerType, value: 'manual' },
    ],
  });
}
