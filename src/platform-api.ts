import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Worker } from '@temporalio/worker';
import { createApp } from './api/app';
import type { AppDeps } from './api/app-deps';
import { createAppServer } from './api/server';
import { attachEventSocket } from './api/routes/events-socket';
import { checkDb, type Db } from './storage';
import { namespaceRetentionMs, startPayloadCollector } from './services/payload-gc';
import type { TemporalConnection } from './temporal/connection';
import type { TemporalGate } from './temporal/temporal-gate';
import { startEventRecordCollector } from './services/event-service';
import type { SecretBox } from './services/secret-box';
import { createCredentialService } from './services/credentials/credential-service';
import type { OutboundWebhooks } from './services/webhooks/outbound-webhooks';
import { createApprovalLinkService } from './services/approval-links/link-service';
import { createAuditService } from './services/audit-service';
import { createBatchService } from './services/batch-service';
import { createMonitoringService } from './services/monitoring-service';
import { createMetrics } from './services/metrics';
import type { WorkerStatus, WorkerSupervisor } from './worker/supervisor';
import { slotsOf } from './worker/worker-slots';

/** `/health`'s view of a supervised worker: ok while it runs, an error while it is down. */
function workerHealth(w: WorkerStatus) {
  return { ...w, status: w.status === 'running' ? ('ok' as const) : ('error' as const), state: w.status };
}

/** How often the reconciler looks for accepted runs to start and unfinished runs to check. */
const RECONCILE_INTERVAL_MS = 2_000;

/** What serving the API takes: the services built at start-up and what `/health` and `/metrics` look at. */
export interface PlatformApiDeps extends Pick<AppDeps, 'config' | 'logger' | 'repos' | 'flows' | 'runs' | 'schedules' | 'events' | 'hooks' | 'tools' | 'dataSources'> {
  db: Db;
  temporal: TemporalConnection;
  /** The Temporal frontend's address, as `/health` reports it. */
  address: string;
  gate: TemporalGate;
  box: SecretBox;
  webhooks: OutboundWebhooks;
  /** The worker running in this process, if any (its slots feed `/metrics`). */
  worker?: Worker;
  /** The supervised worker process, if any (its slots feed `/metrics`, its state `/health`). */
  supervisor?: WorkerSupervisor;
  /** The platform's stops, run in reverse order: the API's are pushed here. */
  stops: (() => Promise<unknown>)[];
  /** Told the API's base URL as soon as the server listens. */
  listening(apiUrl: string): void;
}

/**
 * Serves the API: builds the app over the services, listens on the configured host and port,
 * attaches the live sockets, and starts what runs beside the API (schedule reconciliation, the
 * run reconciler and the collectors of stored payloads and event records). Each has its stop
 * pushed on `stops`.
 */
export async function startApi({
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
  listening,
}: PlatformApiDeps): Promise<void> {
  const inline = worker;
  const metrics = createMetrics({
    repos,
    workerSlots: () => (inline ? slotsOf(inline.getStatus()) : supervisor?.status().slots),
  });
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
  const apiUrl = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  listening(apiUrl);
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
