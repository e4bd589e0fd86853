import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ExecutionEventRow, Repos } from '../storage';

/** What the worker reports of its slots (from `Worker.getStatus()`, in this process or the supervised one). */
export interface WorkerSlots {
  workflow_activations: number;
  activities: number;
  local_activities: number;
  cached_workflows: number;
}

/** What the metrics need. */
export interface MetricsDeps {
  repos: Repos;
  /** The worker's slots in use now, when this process runs or supervises one. */
  workerSlots?: () => WorkerSlots | undefined;
}

/** Runs per flow are counted from the index at most this often, however often Prometheus scrapes. */
const COUNT_CACHE_MS = 5_000;
/** Live events a scrape reads for node durations: pages of this many, at most this many pages. */
const EVENT_PAGE = 1_000;
const MAX_EVENT_PAGES = 50;

/**
 * The Prometheus metrics of `GET /metrics` (prom-client). Run counts come from the run index, so
 * they are the same whichever API process is scraped and whichever worker ran the runs; node
 * durations come from the live event log, read when Prometheus scrapes (the events stored since
 * the previous scrape; this process's view since it started), so nothing reads the log between
 * scrapes; request latency from the API's own middleware; worker slots from the worker.
 */
export function createMetrics(deps: MetricsDeps) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'flows_' });

  let counted: { at: number; rows: Awaited<ReturnType<Repos['executions']['countByFlowTriggerStatus']>> } | undefined;
  const runCounts = async () => {
    if (!counted || Date.now() - counted.at > COUNT_CACHE_MS) {
      counted = { at: Date.now(), rows: await deps.repos.executions.countByFlowTriggerStatus() };
    }
    return counted.rows;
  };

  new Counter({
    name: 'flows_runs_started_total',
    help: 'Runs started, by flow and trigger type (from the run index).',
    labelNames: ['flow_id', 'trigger_type'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await runCounts()) if (r.status !== 'pending') this.inc({ flow_id: r.flow_id, trigger_type: r.trigger_type }, r.n);
    },
  });
  new Counter({
    name: 'flows_runs_finished_total',
    help: 'Runs that ended, by flow, trigger type and status (completed, failed, cancelled, terminated, timed_out).',
    labelNames: ['flow_id', 'trigger_type', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await runCounts()) {
        if (['completed', 'failed', 'cancelled', 'terminated', 'timed_out'].includes(r.status)) {
          this.inc({ flow_id: r.flow_id, trigger_type: r.trigger_type, status: r.status }, r.n);
        }
      }
    },
  });
  new Gauge({
    name: 'flows_runs_active',
    help: 'Runs not finished yet, by status (pending, running, paused, waiting).',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      const by = new Map<string, number>();
      for (const r of await runCounts()) if (['pending', 'running', 'paused', 'waiting'].includes(r.status)) by.set(r.status, (by.get(r.status) ?? 0) + r.n);
      for (const [status, n] of by) this.set({ status }, n);
    },
  });

  // Where the node durations have read the live event log up to: its end when this process
  // started (or, when the database could not say then, at the first scrape that reaches it).
  let eventsRead: Promise<number | undefined> = deps.repos.events.maxId().catch(() => undefined);
  /** Folds the events stored since the last scrape into the histogram (a backlog over several scrapes). */
  const readNodeEvents = (): Promise<number | undefined> => {
    eventsRead = eventsRead.then(async (from) => {
      let after = from;
      try {
        after ??= await deps.repos.events.maxId();
        for (let page = 0; page < MAX_EVENT_PAGES; page++) {
          const rows = await deps.repos.events.listSince(after, EVENT_PAGE);
          observeNodes(rows);
          if (rows.length > 0) after = rows[rows.length - 1].id;
          if (rows.length < EVENT_PAGE) break;
        }
      } catch {
        // The database is unreachable: the next scrape reads on from here.
      }
      return after;
    });
    return eventsRead;
  };
  const nodeDuration = new Histogram({
    name: 'flows_node_duration_seconds',
    help: 'Duration of nodes that settled, by node type and status (as the runs report them).',
    labelNames: ['node_type', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
    async collect() {
      await readNodeEvents();
    },
  });
  const observeNodes = (rows: ExecutionEventRow[]) => {
    for (const row of rows) {
      if (row.type !== 'node_completed' && row.type !== 'node_failed') continue;
      const step = (row.data as { step?: { node_type?: string; duration_ms?: number } }).step;
      if (!step?.node_type || typeof step.duration_ms !== 'number') continue;
      nodeDuration.observe({ node_type: step.node_type, status: row.type === 'node_completed' ? 'completed' : 'failed' }, step.duration_ms / 1000);
    }
  };

  const requestDuration = new Histogram({
    name: 'flows_api_request_duration_seconds',
    help: 'API request latency, by method, route (the route pattern, not the path) and status code.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30],
    registers: [registry],
  });

  new Gauge({
    name: 'flows_worker_slots_in_use',
    help: 'Worker slots in use: workflow activations, activities and local activities in flight, and cached workflows.',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      const slots = deps.workerSlots?.();
      if (!slots) return;
      for (const [kind, n] of Object.entries(slots)) this.set({ kind }, n);
    },
  });

  return {
    /** Additional collectors (webhook deliveries…) are registered here by their owners. */
    registry,
    /** Records one API request. */
    observeRequest(method: string, route: string, status: number, seconds: number): void {
      requestDuration.observe({ method, route, status: String(status) }, seconds);
    },
  };
}

/** The metrics of an API process. */
export type Metrics = ReturnType<typeof createMetrics>;
