/**
 * Runs compiled flows through the real `runFlow` workflow on the shared Temporal dev server, with
 * a worker on a unique task queue: the interpreter's tests need no API or database.
 */
import { notFound } from '../../src/shared/errors';
import type { Client, WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { memoryLogSink } from '../../activities/log-sink';
import { compileFlow } from '../../src/nodes/compile-flow';
import { createNodeServices } from '../../src/nodes/node-services';
import type { RunFlowInput, RunFlowResult } from '../../src/shared/flow';
import { RUN_FLOW, workflowIdFor } from '../../src/shared/flow';
import { searchAttributesFor } from '../../src/shared/search-attributes';
import type { PrepareSubFlowInput } from '../../src/shared/system-activities';
import { createWorker } from '../../src/worker/create-worker';
import { getTestTemporal, uniqueTaskQueue } from './temporal-env';

/** A worker running for one suite plus helpers to start flows on it. */
export interface TestEngine {
  client: Client;
  taskQueue: string;
  worker: Worker;
  logs: ReturnType<typeof memoryLogSink>;
  /** Compiles `graph` and starts it; returns the handle. */
  start(graph: unknown, inputData?: unknown, extra?: Partial<RunFlowInput>): Promise<WorkflowHandle>;
  /** Starts and awaits the result. */
  run(graph: unknown, inputData?: unknown): Promise<RunFlowResult>;
  /** Flows that `sub-flow` nodes may call, by id. */
  subFlows: Map<string, unknown>;
  stop(): Promise<void>;
}

/** Starts a worker for `runFlow` with every node activity; HTTP nodes may reach loopback. */
export async function startTestEngine(): Promise<TestEngine> {
  const t = await getTestTemporal();
  const taskQueue = uniqueTaskQueue('engine');
  const logs = memoryLogSink();
  const subFlows = new Map<string, unknown>();
  const worker = await createWorker({
    connection: t.nativeConnection,
    namespace: t.namespace,
    taskQueue,
    services: createNodeServices({ httpAllowedHosts: ['127.0.0.1', 'localhost'] }),
    logSink: logs,
    async prepareSubFlow(input: PrepareSubFlowInput): Promise<RunFlowInput> {
      const graph = subFlows.get(input.workflow_id);
      if (!graph) {
        throw notFound(`sub-flow ${input.workflow_id}`);
      }
      return {
        execution_id: randomUUID(),
        flow_id: input.workflow_id,
        flow_version: input.version ?? 1,
        owner_id: input.owner_id,
        trigger: { type: 'sub-flow', parent_execution_id: input.parent_execution_id },
        input_data: input.input,
        definition: compileFlow(graph),
      };
    },
  });
  const running = worker.run();
  const start: TestEngine['start'] = (graph, inputData = {}, extra = {}) =>
    startFlow(t.client, taskQueue, graph, inputData, extra);
  return {
    client: t.client,
    taskQueue,
    worker,
    logs,
    subFlows,
    start,
    async run(graph, inputData) {
      const h = await start(graph, inputData);
      return (await h.result()) as RunFlowResult;
    },
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

/** Compiles `graph` and starts it as a `runFlow` run on `taskQueue`, as the platform would. */
export function startFlow(
  client: Client,
  taskQueue: string,
  graph: unknown,
  inputData: unknown = {},
  extra: Partial<RunFlowInput> = {},
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const input: RunFlowInput = {
    execution_id: randomUUID(),
    flow_id: randomUUID(),
    flow_version: 1,
    owner_id: 'owner-1',
    trigger: { type: 'test' },
    input_data: inputData,
    definition: compileFlow(graph),
    ...extra,
  };
  return client.workflow.start(RUN_FLOW.workflow, {
    taskQueue,
    workflowId: workflowIdFor(input.execution_id),
    args: [input],
    typedSearchAttributes: searchAttributesFor(input),
  });
}

/** A linear flow start → …nodes → end, wired in order. */
export function chain(nodes: Record<string, unknown>[], endOutput?: unknown) {
  const all = [{ id: 'start', type: 'start' }, ...nodes, { id: 'end', type: 'end', data: endOutput === undefined ? {} : { output: endOutput } }];
  const edges = all.slice(1).map((n, i) => ({ source: String(all[i].id), target: String(n.id) }));
  return { nodes: all, edges };
}
