import { listNodeDefinitions } from '../nodes/registry';
import { BadRequest } from '../shared/errors';
import { EXECUTION_STATUSES, type ExecutionStatus } from '../shared/flow';
import { ACTIVE_EXECUTION_STATUSES, TERMINAL_EXECUTION_STATUSES, type Repos, type RunStatsScope, type StatusRow } from '../storage';
import type { Actor } from './actor';

const DAY_MS = 86_400_000;
/** The window statistics cover when the caller names none. */
export const DEFAULT_WINDOW_DAYS = 30;
/** The widest window: one row per day is answered, so it stays bounded. */
export const MAX_WINDOW_DAYS = 366;
/** `by_workflow` lists the flows with the most runs, at most this many. */
export const MAX_WORKFLOWS = 100;

/** A time window as the API takes it (ISO strings, both optional). */
export interface WindowQuery {
  since?: string;
  until?: string;
}

/** Durations of a set of runs, in milliseconds (null when none of them finished). */
export interface DurationStats {
  avg_duration_ms: number | null;
  min_duration_ms: number | null;
  max_duration_ms: number | null;
}

/** Runs of one status. */
export type StatusStats = { count: number } & DurationStats;

/** Counts of runs per status, every status present (0 when none). */
export type StatusCounts = Record<ExecutionStatus, number>;

/** `GET /monitoring/overview`. */
export interface MonitoringOverview {
  generated_at: string;
  workflows: { total: number; enabled: number; by_status: Record<'draft' | 'published' | 'archived', number>; by_trigger: Record<string, number> };
  executions: {
    total: number;
    active: number;
    by_status: StatusCounts;
    success_rate: number | null;
    avg_duration_ms: number | null;
    last_24h: { total: number; completed: number; failed: number; success_rate: number | null };
  };
  pending_approvals: number;
}

/** `GET /monitoring/executions`. */
export interface ExecutionStats {
  since: string;
  until: string;
  workflow_id: string | null;
  total: number;
  success_rate: number | null;
  avg_duration_ms: number | null;
  by_status: Record<ExecutionStatus, StatusStats>;
  by_workflow: {
    workflow_id: string;
    workflow_name: string | null;
    total: number;
    by_status: StatusCounts;
    success_rate: number | null;
    avg_duration_ms: number | null;
  }[];
  /** How many flows ran in the window (`by_workflow` holds at most {@link MAX_WORKFLOWS}). */
  workflows_total: number;
  by_day: { date: string; total: number; by_status: StatusCounts; avg_duration_ms: number | null }[];
}

/** One node type in `GET /monitoring/node-types`. */
export interface NodeTypeStats {
  node_type: string;
  name: string | null;
  category: string | null;
  /** Nodes of this type that settled (completed, failed or skipped). */
  uses: number;
  completed: number;
  failed: number;
  skipped: number;
  /** failed / (completed + failed); null when none ran. */
  failure_rate: number | null;
  avg_duration_ms: number | null;
  max_duration_ms: number | null;
  /** Runs and flows in which the type ran. */
  executions: number;
  workflows: number;
}

/** `GET /monitoring/node-types`. */
export interface NodeTypeUsage {
  since: string;
  until: string;
  workflow_id: string | null;
  items: NodeTypeStats[];
  total: number;
}

/** Run statistics over the run index and the runs' node events, scoped like every other read. */
export interface MonitoringService {
  overview(actor: Actor): Promise<MonitoringOverview>;
  executions(actor: Actor, query: WindowQuery & { workflow_id?: string }): Promise<ExecutionStats>;
  nodeTypes(actor: Actor, query: WindowQuery & { workflow_id?: string }): Promise<NodeTypeUsage>;
}

const ratio = (part: number, whole: number): number | null => (whole > 0 ? Math.round((part / whole) * 10_000) / 10_000 : null);
const round = (v: number | null): number | null => (v === null ? null : Math.round(v));

function zeroCounts(): StatusCounts {
  return Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, 0])) as StatusCounts;
}

/** The mean duration over rows, weighted by how many runs of each carry one. */
function meanDuration(rows: readonly StatusRow[]): number | null {
  let timed = 0;
  let sum = 0;
  for (const r of rows) {
    if (r.avg_duration_ms === null || r.timed === 0) continue;
    timed += r.timed;
    sum += r.avg_duration_ms * r.timed;
  }
  return timed > 0 ? Math.round(sum / timed) : null;
}

/** Completed over finished (completed, failed, cancelled, terminated, timed out). */
function successRate(counts: StatusCounts): number | null {
  const finished = TERMINAL_EXECUTION_STATUSES.reduce((n, s) => n + counts[s], 0);
  return ratio(counts.completed, finished);
}

function countsOf(rows: readonly StatusRow[]): StatusCounts {
  const counts = zeroCounts();
  for (const r of rows) if (r.status in counts) counts[r.status as ExecutionStatus] += r.count;
  return counts;
}

/** The window of a query: 400 for an empty or inverted one, or one wider than {@link MAX_WINDOW_DAYS}. */
export function windowOf(query: WindowQuery, now = Date.now()): { since: Date; until: Date } {
  const until = query.until ? new Date(query.until) : new Date(now);
  const since = query.since ? new Date(query.since) : new Date(until.getTime() - DEFAULT_WINDOW_DAYS * DAY_MS);
  if (since.getTime() > until.getTime()) throw new BadRequest('since must not be after until', { since: 'after until' });
  if (until.getTime() - since.getTime() > MAX_WINDOW_DAYS * DAY_MS) {
    throw new BadRequest(`the window is at most ${MAX_WINDOW_DAYS} days`, { since: `more than ${MAX_WINDOW_DAYS} days before until` });
  }
  return { since, until };
}

/** Every UTC day (`YYYY-MM-DD`) from `since` to `until`, both included. */
function daysBetween(since: Date, until: Date): string[] {
  const days: string[] = [];
  const first = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
  for (let t = first; t <= until.getTime(); t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** Creates the monitoring service over the repositories. */
export function createMonitoringService({ repos, now = Date.now }: { repos: Repos; now?: () => number }): MonitoringService {
  const scopeOf = (actor: Actor, window: { since: Date; until: Date }, flowId?: string): RunStatsScope => ({
    ownerId: actor.ownerId,
    since: window.since,
    until: window.until,
    flowId,
  });

  return {
    async overview(actor) {
      const at = now();
      const [totals, allTime, lastDay] = await Promise.all([
        repos.runStats.totals(actor.ownerId),
        repos.runStats.byStatus({ ownerId: actor.ownerId, since: new Date(0), until: new Date(at) }),
        repos.runStats.byStatus({ ownerId: actor.ownerId, since: new Date(at - DAY_MS), until: new Date(at) }),
      ]);
      const counts = countsOf(allTime);
      const day = countsOf(lastDay);
      const byStatus = { draft: 0, published: 0, archived: 0, ...totals.flows_by_status };
      return {
        generated_at: new Date(at).toISOString(),
        workflows: {
          total: Object.values(byStatus).reduce((n, c) => n + c, 0),
          enabled: totals.flows_enabled,
          by_status: byStatus,
          by_trigger: { manual: 0, cron: 0, event: 0, webhook: 0, ...totals.flows_by_trigger },
        },
        executions: {
          total: allTime.reduce((n, r) => n + r.count, 0),
          active: ACTIVE_EXECUTION_STATUSES.reduce((n, s) => n + counts[s], 0),
          by_status: counts,
          success_rate: successRate(counts),
          avg_duration_ms: meanDuration(allTime),
          last_24h: { total: lastDay.reduce((n, r) => n + r.count, 0), completed: day.completed, failed: day.failed, success_rate: successRate(day) },
        },
        pending_approvals: totals.pending_approvals,
      };
    },

    async executions(actor, query) {
      const window = windowOf(query, now());
      const scope = scopeOf(actor, window, query.workflow_id);
      const [byStatus, byFlow, byDay] = await Promise.all([repos.runStats.byStatus(scope), repos.runStats.byFlow(scope), repos.runStats.byDay(scope)]);

      const statusStats = Object.fromEntries(
        EXECUTION_STATUSES.map((s) => [s, { count: 0, avg_duration_ms: null, min_duration_ms: null, max_duration_ms: null } as StatusStats]),
      ) as Record<ExecutionStatus, StatusStats>;
      for (const r of byStatus) {
        if (!(r.status in statusStats)) continue;
        statusStats[r.status as ExecutionStatus] = {
          count: r.count,
          avg_duration_ms: round(r.avg_duration_ms),
          min_duration_ms: r.min_duration_ms,
          max_duration_ms: r.max_duration_ms,
        };
      }

      const flows = new Map<string, { name: string | null; rows: StatusRow[] }>();
      for (const r of byFlow) {
        const f = flows.get(r.flow_id) ?? { name: r.flow_name, rows: [] };
        f.rows.push(r);
        flows.set(r.flow_id, f);
      }
      const byWorkflow = [...flows.entries()]
        .map(([id, f]) => {
          const counts = countsOf(f.rows);
          return {
            workflow_id: id,
            workflow_name: f.name,
            total: f.rows.reduce((n, r) => n + r.count, 0),
            by_status: counts,
            success_rate: successRate(counts),
            avg_duration_ms: meanDuration(f.rows),
          };
        })
        .sort((a, b) => b.total - a.total || a.workflow_id.localeCompare(b.workflow_id));

      const days = new Map<string, StatusRow[]>();
      for (const r of byDay) days.set(r.date, [...(days.get(r.date) ?? []), r]);
      const counts = countsOf(byStatus);
      return {
        since: window.since.toISOString(),
        until: window.until.toISOString(),
        workflow_id: query.workflow_id ?? null,
        total: byStatus.reduce((n, r) => n + r.count, 0),
        success_rate: successRate(counts),
        avg_duration_ms: meanDuration(byStatus),
        by_status: statusStats,
        by_workflow: byWorkflow.slice(0, MAX_WORKFLOWS),
        workflows_total: byWorkflow.length,
        by_day: daysBetween(window.since, window.until).map((date) => {
          const rows = days.get(date) ?? [];
          return { date, total: rows.reduce((n, r) => n + r.count, 0), by_status: countsOf(rows), avg_duration_ms: meanDuration(rows) };
        }),
      };
    },

    async nodeTypes(actor, query) {
      const window = windowOf(query, now());
      const scope = scopeOf(actor, window, query.workflow_id);
      const [outcomes, reach] = await Promise.all([repos.runStats.nodeOutcomes(scope), repos.runStats.nodeReach(scope)]);
      const stats = new Map<string, NodeTypeStats & { timed: number; sum: number }>();
      const entry = (type: string) => {
        let s = stats.get(type);
        if (!s) {
          const def = listNodeDefinitions().find((d) => d.type === type);
          s = {
            node_type: type,
            name: def?.name ?? null,
            category: def?.category ?? null,
            uses: 0,
            completed: 0,
            failed: 0,
            skipped: 0,
            failure_rate: null,
            avg_duration_ms: null,
            max_duration_ms: null,
            executions: 0,
            workflows: 0,
            timed: 0,
            sum: 0,
          };
          stats.set(type, s);
        }
        return s;
      };
      // Every registered type is listed, so the unused ones show as 0.
      for (const def of listNodeDefinitions()) entry(def.type);
      for (const o of outcomes) {
        const s = entry(o.node_type);
        s.uses += o.count;
        if (o.outcome === 'node_completed') s.completed += o.count;
        else if (o.outcome === 'node_failed') s.failed += o.count;
        else s.skipped += o.count;
        // Skipped nodes did not run: their (absent) durations are left out.
        if (o.outcome !== 'node_skipped' && o.avg_duration_ms !== null) {
          s.timed += o.timed;
          s.sum += o.avg_duration_ms * o.timed;
        }
        if (o.max_duration_ms !== null && (s.max_duration_ms === null || o.max_duration_ms > s.max_duration_ms)) s.max_duration_ms = o.max_duration_ms;
      }
      for (const r of reach) {
        const s = entry(r.node_type);
        s.executions = r.executions;
        s.workflows = r.workflows;
      }
      const items = [...stats.values()]
        .map(({ timed, sum, ...s }) => ({
          ...s,
          failure_rate: ratio(s.failed, s.completed + s.failed),
          avg_duration_ms: timed > 0 ? Math.round(sum / timed) : null,
        }))
        .sort((a, b) => b.uses - a.uses || a.node_type.localeCompare(b.node_type));
      return { since: window.since.toISOString(), until: window.until.toISOString(), workflow_id: query.workflow_id ?? null, items, total: items.length };
    },
  };
}
