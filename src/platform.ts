import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import fs from 'node:fs';
import { NativeConnection, Runtime, makeTelemetryFilterString, type Worker } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { workerChildEnv, type Config } from './config';
import { createApp } from './api/app';
import { createAppServer } from './api/server';
import { attachEventSocket } from './api/routes/events-socket';
import { createDb, createRepos, migrateLatest, checkDb, type Db, type Repos } from './storage';
import { namespaceRetentionMs, startPayloadCollector } from './services/payload-gc';
import { ClaimCheckCodec } from './temporal/claim-check-codec';
import { connectTemporal, type TemporalConnection } from './temporal/connection';
import { createTemporalGate } from './temporal/temporal-gate';
import { clientStarter, type RunStart, type RunStarted, type RunStarter } from './temporal/run-start';
import { createEventTail } from './services/run-event-tail';
import { findTemporalCli } from './temporal/cli';
import { startDevServer, type DevServer } from './temporal/dev-server';
import { createFlowService } from './services/flow-service';
import { createEventService, startEventRecordCollector } from './services/event-service';
import { createHookService } from './services/hook-service';
import { createSecretBox } from './services/secret-box';
import { createCredentialService } from './services/credentials/credential-service';
import { createStoredCredentialProvider } from './services/credentials/credential-provider';
import { createDataSourceService } from './services/data-sources/data-source-service';
import { createRunBacklog } from './services/run-backlog';
import { createRunService, type RunService } from './services/run-service';
import { createScheduleService, type ScheduleService } from './services/schedule-service';
import { createToolService } from './services/tools/tool-service';
import { createOutboundWebhooks } from './services/webhooks/outbound-webhooks';
import { createApprovalLinkService } from './services/approval-links/link-service';
import { createAuditService } from './services/audit-service';
import { createBatchService } from './services/batch-service';
import { createMonitoringService } from './services/monitoring-service';
import { createWorker } from './worker/create-worker';
import { createRunIndexSink } from './worker/run-index-sink';
import { superviseWorker, type WorkerStatus, type WorkerSupervisor } from './worker/supervisor';
import { slotsOf } from './worker/worker-slots';
import { createMetrics } from './services/metrics';
import { bridgeSdkLogger } from './worker/sdk-logger';
import { shutdownExpressionProcesses, warmExpressionPool } from './nodes/sandbox/expression-pool';

/** `/health`'s view of a supervised worker: ok while it runs, an error while it is down. */
function workerHealth(w: WorkerStatus) {
  return { ...w, status: w.status === 'running' ? ('ok' as const) : ('error' as const), state: w.status };
}

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

/** How often the reconciler looks for accepted runs to start and unfinished runs to check. */
const RECONCILE_INTERVAL_MS = 2_000;

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
    stops.push(async () => gate.stop());
    const tail = createEventTail(repos, { onError: (err) => logger.warn({ err }, 'live event log read failed') });
    stops.push(async () => tail.stop());
    const webhooks = createOutboundWebhooks({ config, repos, client: temporal.client, gate, logger });
    let worker: Worker | undefined;
    let supervisor: WorkerSupervisor | undefined;
    let workerStarter: RunStarter | undefined;
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
      eagerStarter: () => supervisor?.eagerStarter() ?? workerStarter,
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
      const sup = superviseWorker({ env: workerChildEnv(config, address), logger });
      supervisor = sup;
      stops.push(() => sup.stop());
      await sup.ready;
    } else if (config.runWorker) {
      const connection = await NativeConnection.connect({ address });
      const runIndex = createRunIndexSink({ db, logger, webhooks: webhooks.dispatcher });
      worker = await createWorker({
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
        logSink: {
          write: async (entries) => {
            await repos.logs.insertMany(entries);
          },
        },
        onLogError: (err) => logger.warn({ err }, 'could not write node logs'),
        prepareSubFlow: (input) => runs.prepareChild(input),
        webhooks: webhooks.sender,
      });
      warmExpressionPool();
      const running = worker.run();
      // A client on the worker's own connection: Temporal hands a run it starts straight back to this worker.
      workerStarter = clientStarter(new Client({ connection, namespace: config.temporal.namespace, dataConverter }), config.temporal.taskQueue, {
        eager: true,
      });
      const w = worker;
      stops.push(async () => {
        workerStarter = undefined;
        if (w.getState() === 'RUNNING') w.shutdown();
        await running.catch((err) => logger.error({ err }, 'worker stopped with an error'));
        await runIndex.flush();
        await connection.close();
        await shutdownExpressionProcesses();
      });
      running.catch((err) => logger.error({ err }, 'worker failed'));
    }

    let apiUrl: string | undefined;
    if (config.runApi) {
      const inline = worker;
      const metrics = createMetrics({
        repos,
        tail,
        workerSlots: () => (inline ? slotsOf(inline.getStatus()) : supervisor?.status().slots),
      });
      stops.push(async () => metrics.stop());
      const app = createApp({
        config,
        logger,
        repos,
        flows,
        runs,
        schedules,
        webhooks: webhooks.service,
        approvalLinks: createApprovalLinkService({ repos, links: webhooks.links, decide: runs.decideByLink }),
        events,
        hooks,
        tools,
        dataSources,
        credentials: createCredentialService({ repos, box }),
        audit: createAuditService({ repos }),
        monitoring: createMonitoringService({ repos }),
        batch: createBatchService({ flows, runs }),
        metrics,
        health: async () => {
          const database = await checkDb(db);
          const started = performance.now();
          const temporalHealth = await gate
            .call(() => temporal.connection.workflowService.getSystemInfo({}), { deadlineMs: 1_000 })
            .then(() => ({ status: 'ok' as const, latency_ms: Math.round(performance.now() - started), address }))
            .catch((err: Error) => ({ status: 'error' as const, error: err.message, address }));
          return {
            database: { status: database.ok ? 'ok' : 'error', latency_ms: database.latency_ms, client: config.database.client },
            temporal: temporalHealth,
            ...(supervisor ? { worker: workerHealth(supervisor.status()) } : {}),
          };
        },
      });
      const server: Server = await new Promise((resolve, reject) => {
        const s = createAppServer(app).listen(config.port, config.host, () => resolve(s));
        s.once('error', reject);
      });
      const port = (server.address() as AddressInfo).port;
      apiUrl = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
      webhooks.apiListening(apiUrl);
      stops.push(
        () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      );
      // Flows edited while the API was down get their schedules now.
      void schedules.reconcile().catch((err) => logger.warn({ err }, 'schedule reconciliation failed'));
      const closeSockets = attachEventSocket(server, { config, repos, runs, logger });
      stops.push(closeSockets);
      const timer = setInterval(() => {
        runs.reconcileActive().catch((err) => logger.warn({ err }, 'reconciler failed'));
      }, RECONCILE_INTERVAL_MS);
      timer.unref();
      stops.push(async () => clearInterval(timer));
      const stopCollector = startPayloadCollector({
        repos,
        retentionMs: () => namespaceRetentionMs(temporal.connection, config.temporal.namespace),
        onCollected: (c) => {
          if (c.deleted > 0) logger.info({ deleted: c.deleted, cutoff: c.cutoff }, 'stored payloads collected');
        },
        onError: (err) => logger.warn({ err }, 'payload collection failed'),
      });
      stops.push(async () => stopCollector());
      const stopEventRecords = startEventRecordCollector({
        repos,
        retentionMs: () => namespaceRetentionMs(temporal.connection, config.temporal.namespace),
        onError: (err) => logger.warn({ err }, 'event record collection failed'),
      });
      stops.push(async () => stopEventRecords());
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
        if (!workerStarter) return Promise.reject(new Error('no worker runs in this process'));
        return workerStarter(start);
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
