import { NativeConnection, type Worker } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Config } from './config';
import type { Db, Repos } from './storage';
import { clientStarter, type RunStarter } from './temporal/run-start';
import type { SecretBox } from './services/secret-box';
import { createStoredCredentialProvider } from './services/credentials/credential-provider';
import type { DataSourceService } from './services/data-sources/data-source-service';
import type { RunService } from './services/run-service';
import type { ToolService } from './services/tools/tool-service';
import type { OutboundWebhooks } from './services/webhooks/outbound-webhooks';
import { createWorker } from './worker/create-worker';
import { createNodeLogWriter } from './worker/node-log-writer';
import { createRunIndexSink } from './worker/run-index-sink';
import { shutdownExpressionProcesses, warmExpressionPool } from './nodes/sandbox/expression-pool';

/** What running the worker inside the platform's process takes. */
export interface InlineWorkerDeps {
  config: Config;
  logger: Logger;
  /** The Temporal frontend the worker connects to. */
  address: string;
  db: Db;
  repos: Repos;
  box: SecretBox;
  /** The codec the client uses too: large payloads live in the database. */
  dataConverter: DataConverter;
  tools: ToolService;
  dataSources: DataSourceService;
  runs: RunService;
  webhooks: OutboundWebhooks;
  /** The platform's stops, run in reverse order: the worker's is pushed here. */
  stops: (() => Promise<unknown>)[];
  /** Holds the worker's eager run starter while the worker runs (cleared when it stops). */
  starter: { current?: RunStarter };
}

/**
 * Starts the worker in this process, on a connection of its own, with the run index sink, the
 * node services and a client on its connection that starts runs eagerly on it. Its stop (pushed
 * on `stops`) drains the worker, flushes the node logs and the run index and closes the connection.
 */
export async function startInlineWorker({
  config,
  logger,
  address,
  db,
  repos,
  box,
  dataConverter,
  tools,
  dataSources,
  runs,
  webhooks,
  stops,
  starter,
}: InlineWorkerDeps): Promise<Worker> {
  const connection = await NativeConnection.connect({ address });
  const nodeLogs = createNodeLogWriter({
    insert: (entries) => repos.logs.insertMany(entries),
    onError: (err) => logger.warn({ err }, 'could not write node logs'),
  });
  const runIndex = createRunIndexSink({ db, logger, webhooks: webhooks.dispatcher, beforeWrite: nodeLogs.flush });
  const worker = await createWorker({
    sinks: runIndex.sinks,
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    dataConverter,
    services: {
      httpAllowedHosts: config.httpAllowedHosts,
      llm: config.llm,
      smtp: config.smtp,
      credentials: createStoredCredentialProvider({ repos, box }),
      tools: tools.provider(),
      dataSources: dataSources.provider,
    },
    logSink: nodeLogs.sink,
    prepareSubFlow: (input) => runs.prepareChild(input),
    webhooks: webhooks.sender,
  });
  warmExpressionPool();
  const running = worker.run();
  // A client on the worker's own connection: Temporal hands a run it starts straight back to this worker.
  starter.current = clientStarter(new Client({ connection, namespace: config.temporal.namespace, dataConverter }), config.temporal.taskQueue, {
    eager: true,
  });
  const w = worker;
  stops.push(async () => {
    starter.current = undefined;
    if (w.getState() === 'RUNNING') w.shutdown();
    await running.catch((err) => logger.error({ err }, 'worker stopped with an error'));
    await nodeLogs.flush();
    await runIndex.flush();
    await connection.close();
    await shutdownExpressionProcesses();
  });
  running.catch((err) => logger.error({ err }, 'worker failed'));
  return worker;
}
