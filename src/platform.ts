import path from 'node:path';
import fs from 'node:fs';
import { Runtime, makeTelemetryFilterString, type Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { workerChildEnv, type Config } from './config';
import { createDb, createRepos, migrateLatest, type Db, type Repos } from './storage';
import { ClaimCheckCodec } from './temporal/claim-check-codec';
import { connectTemporal, type TemporalConnection } from './temporal/connection';
import { createTemporalGate } from './temporal/temporal-gate';
import type { RunStart, RunStarted, RunStarter } from './temporal/run-start';
import { createEventTail } from './services/run-event-tail';
import { findTemporalCli } from './temporal/cli';
import { startDevServer, type DevServer } from './temporal/dev-server';
import { createFlowService } from './services/flow-service';
import { createEventService } from './services/event-service';
import { createHookService } from './services/hook-service';
import { createSecretBox } from './services/secret-box';
import { createStoredCredentialProvider } from './services/credentials/credential-provider';
import { createDataSourceService } from './services/data-sources/data-source-service';
import { createRunBacklog } from './services/run-backlog';
import { createRunService, type RunService } from './services/run-service';
import { createScheduleService, type ScheduleService } from './services/schedule-service';
import { createToolService } from './services/tools/tool-service';
import { createOutboundWebhooks } from './services/webhooks/outbound-webhooks';
import { superviseWorker, type WorkerSupervisor } from './worker/supervisor';
import { bridgeSdkLogger } from './worker/sdk-logger';
import { startApi } from './platform-api';
import { startInlineWorker } from './platform-worker';

/** A running platform: embedded Temporal (optional), database, API and worker. */
export interface Platform {
  config: Config;
  db: Db;
  repos: Repos;
  temporal: TemporalConnection;
  runs: RunService;
  /** Cron flows' Temporal Schedules (`reconcile()` runs at start-up when the API does). */
  schedules: ScheduleService;
  /** Base URL of the API when it runs. */
  apiUrl?: string;
  /** Temporal Web UI base URL. */
  uiUrl: string;
  temporalAddress: string;
  worker?: Worker;
  /** The worker process, when the worker runs supervised in a child process. */
  supervisor?: WorkerSupervisor;
  /** Starts a run eagerly on this process's worker, while it runs (a supervised worker serves its parent's starts with it). */
  startOnWorker(start: RunStart): Promise<RunStarted>;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * Starts what `config` asks for, in dependency order: the embedded Temporal dev server (when no
 * `TEMPORAL_ADDRESS`), the database (migrated), the worker and the API. `stop()` undoes it in
 * reverse order.
 */
export async function startPlatform(config: Config, logger: Logger): Promise<Platform> {
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) {
      await s().catch((err) => logger.warn({ err }, 'error while stopping'));
    }
  };
  try {
    if (!runtimeInstalled) {
      runtimeInstalled = true;
      try {
        Runtime.install({
          logger: bridgeSdkLogger(logger),
          telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
        });
      } catch {
        // Already installed by an earlier connection in this process (tests): keep that one.
      }
    }

    let address = config.temporal.address;
    let uiUrl = config.temporal.uiUrl;
    if (!address) {
      fs.mkdirSync(config.dataDir, { recursive: true });
      const cliPath = await findTemporalCli(config, { onProgress: (line) => logger.info(line) });
      const dev: DevServer = await startDevServer({
        cliPath,
        port: config.temporal.devPort,
        uiPort: config.temporal.uiPort,
        dbFile: path.join(config.dataDir, 'temporal.sqlite'),
        namespace: config.temporal.namespace,
        logger: logger.child({ component: 'temporal-dev-server' }),
      });
      stops.push(() => dev.stop());
      address = dev.address;
      uiUrl = dev.uiUrl ?? uiUrl;
    }

    const db = createDb(config.database);
    stops.push(() => db.destroy());
    await migrateLatest(db);
    const repos = createRepos(db);

    // Large payloads live in the database, not in workflow history; client and worker share the codec.
    const dataConverter = { payloadCodecs: [new ClaimCheckCodec(repos.payloadBlobs)] };
    const temporal = await connectTemporal(address, config.temporal.namespace, { timeoutMs: 30_000, dataConverter });
    stops.push(() => temporal.connection.close());

    const gate = createTemporalGate({
      connection: temporal.connection,
      onChange: (up, err) => {
        if (up) {
          logger.info('Temporal is reachable again');
          // Runs accepted meanwhile start now, not at the next tick.
          void runs.reconcileActive();
          if (config.runApi) void schedules.reconcile().catch((e) => logger.warn({ err: e }, 'schedule reconciliation failed'));
        } else logger.warn({ err }, 'Temporal is unreachable; requests that need it fail fast until it is back');
      },
    });
    // Before the connection closes: nothing new starts, and what is still retrying inside the client ends.
    stops.push(async () => {
      gate.stop();
      await gate.drain(6_000);
    });
    const tail = createEventTail(repos, { onError: (err) => logger.warn({ err }, 'live event log read failed') });
    stops.push(async () => tail.stop());
    const webhooks = createOutboundWebhooks({ config, repos, client: temporal.client, gate, logger });
    let worker: Worker | undefined;
    let supervisor: WorkerSupervisor | undefined;
    /** The worker's eager run starter, while a worker runs in this process. */
    const workerStarter: { current?: RunStarter } = {};
    const backlog = createRunBacklog({
      client: temporal.client,
      gate,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      limitMs: config.runBacklogLimitMs,
    });
    const runs = createRunService({
      repos,
      client: temporal.client,
      gate,
      backlog,
      // Runs start through this process's worker, or its supervised child, while one runs.
      eagerStarter: () => supervisor?.eagerStarter() ?? workerStarter.current,
      tail,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      uiUrl,
      logger,
      webhooks: webhooks.dispatcher,
    });
    const schedules = createScheduleService({
      repos,
      connection: temporal.connection,
      namespace: config.temporal.namespace,
      gate,
      taskQueue: config.temporal.taskQueue,
      logger,
    });
    const box = createSecretBox(config.encryptionKey, config.previousEncryptionKey);
    const hooks = createHookService({
      repos,
      runs,
      box,
      baseUrl: () => config.publicUrl ?? apiUrl,
    });
    const tools = createToolService({ repos, testNode: runs.testNode });
    const flows = createFlowService({
      repos,
      triggers: [hooks.triggerHandler, schedules.trigger],
      checks: [tools.flowCheck],
      environment: { httpAllowedHosts: config.httpAllowedHosts, llmConfigured: Boolean(config.llm.baseUrl), smtpConfigured: Boolean(config.smtp.url) },
    });
    const events = createEventService({ repos, runs });
    const dataSources = createDataSourceService({
      repos,
      box,
      allowedHosts: config.httpAllowedHosts,
      dataDir: config.dataDir,
      credentials: createStoredCredentialProvider({ repos, box }),
    });
    // Pushed before the worker's stop, so it runs after it: no query is left using a pool.
    stops.push(() => dataSources.close());

    if (config.runWorker && config.runApi && config.workerProcess === 'child') {
      const sup = superviseWorker({ env: workerChildEnv(config, address), logger, sandboxWatchdog: config.sandboxWatchdog });
      supervisor = sup;
      stops.push(() => sup.stop());
      await sup.ready;
    } else if (config.runWorker) {
      worker = await startInlineWorker({ config, logger, address, db, repos, box, dataConverter, tools, dataSources, runs, webhooks, stops, starter: workerStarter });
    }

    let apiUrl: string | undefined;
    if (config.runApi) {
      await startApi({
        config,
        logger,
        db,
        repos,
        temporal,
        address,
        gate,
        box,
        flows,
        runs,
        schedules,
        webhooks,
        events,
        hooks,
        tools,
        dataSources,
        worker,
        supervisor,
        stops,
        listening: (url) => {
          apiUrl = url;
        },
      });
    }

    return {
      config,
      db,
      repos,
      temporal,
      runs,
      schedules,
      apiUrl,
      uiUrl,
      temporalAddress: address,
      worker,
      supervisor,
      startOnWorker: (start) => {
        if (!workerStarter.current) return Promise.reject(new Error('no worker runs in this process'));
        return workerStarter.current(start);
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
