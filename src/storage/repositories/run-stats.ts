import { type Knex } from 'knex';
import { dialectOf } from '../codec';
import { jsonTextSql } from '../query-helpers';
import { toIso } from '../time';

/** Which runs statistics cover: one owner's (undefined: every owner's), created within the window. */
export interface RunStatsScope {
  ownerId?: string;
  /** Inclusive bounds on the run's `created_at`. */
  since: string | Date;
  until: string | Date;
  flowId?: string;
}

/** Runs of one status: how many, and the durations of those that finished. */
export interface StatusRow {
  status: string;
  count: number;
  /** How many of them carry a duration (finished runs). */
  timed: number;
  /** Milliseconds, over runs that carry a duration; null when none does. */
  avg_duration_ms: number | null;
  min_duration_ms: number | null;
  max_duration_ms: number | null;
}

/** {@link StatusRow} of one flow. */
export interface FlowStatusRow extends StatusRow {
  flow_id: string;
  flow_name: string | null;
}

/** {@link StatusRow} of one UTC day (`YYYY-MM-DD`). */
export interface DayStatusRow extends StatusRow {
  date: string;
}

/** Settled nodes of one type and outcome (`node_completed`, `node_failed`, `node_skipped`). */
export interface NodeOutcomeRow {
  node_type: string;
  outcome: string;
  count: number;
  /** How many of them reported a duration. */
  timed: number;
  avg_duration_ms: number | null;
  max_duration_ms: number | null;
}

/** How widely a node type ran: in how many runs and flows. */
export interface NodeReachRow {
  node_type: string;
  executions: number;
  workflows: number;
}

/** Counts for the monitoring overview. */
export interface OwnerTotals {
  /** Flows that are not deleted, by status. */
  flows_by_status: Record<string, number>;
  flows_enabled: number;
  /** Flows that are not deleted, by trigger type. */
  flows_by_trigger: Record<string, number>;
  pending_approvals: number;
}

/** Aggregates over the run index and the runs' node events, for `/monitoring`. */
export interface RunStatsRepo {
  byStatus(scope: RunStatsScope): Promise<StatusRow[]>;
  byFlow(scope: RunStatsScope): Promise<FlowStatusRow[]>;
  byDay(scope: RunStatsScope): Promise<DayStatusRow[]>;
  nodeOutcomes(scope: RunStatsScope): Promise<NodeOutcomeRow[]>;
  nodeReach(scope: RunStatsScope): Promise<NodeReachRow[]>;
  totals(ownerId?: string): Promise<OwnerTotals>;
}

/** Node events that say how a node ended. */
const SETTLED = ['node_completed', 'node_failed', 'node_skipped'];

const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The run statistics repository over `db`. */
export function createRunStatsRepo(db: Knex): RunStatsRepo {
  const pg = dialectOf(db) === 'pg';
  const day = 'substr(e.created_at, 1, 10)';
  // The node's type and duration as the run reported them (`data.step`, see run-index-sink.ts).
  const nodeType = pg ? `(ev.data->'step'->>'node_type')` : `json_extract(ev.data, '$.step.node_type')`;
  const nodeMs = pg ? `((ev.data->'step'->>'duration_ms')::numeric)` : `json_extract(ev.data, '$.step.duration_ms')`;

  const runs = (scope: RunStatsScope) => {
    const q = db('executions as e').where('e.created_at', '>=', toIso(scope.since)).andWhere('e.created_at', '<=', toIso(scope.until));
    if (scope.ownerId !== undefined) q.andWhere('e.owner_id', scope.ownerId);
    if (scope.flowId !== undefined) q.andWhere('e.flow_id', scope.flowId);
    return q;
  };
  const durations = [
    db.raw('count(*) as n'),
    db.raw('count(e.execution_time_ms) as timed'),
    db.raw('avg(e.execution_time_ms) as avg_ms'),
    db.raw('min(e.execution_time_ms) as min_ms'),
    db.raw('max(e.execution_time_ms) as max_ms'),
  ];
  const statusRow = (r: Record<string, unknown>): StatusRow => ({
    status: String(r.status),
    count: Number(r.n),
    timed: Number(r.timed),
    avg_duration_ms: numOrNull(r.avg_ms),
    min_duration_ms: numOrNull(r.min_ms),
    max_duration_ms: numOrNull(r.max_ms),
  });
  const events = (scope: RunStatsScope) => runs(scope).join('execution_events as ev', 'ev.execution_id', 'e.id').whereIn('ev.type', SETTLED);

  return {
    async byStatus(scope) {
      const rows: Record<string, unknown>[] = await runs(scope).select('e.status', ...durations).groupBy('e.status');
      return rows.map(statusRow);
    },

    async byFlow(scope) {
      const rows: Record<string, unknown>[] = await runs(scope)
        .leftJoin('flows as f', 'f.id', 'e.flow_id')
        .select('e.flow_id', 'f.name as flow_name', 'e.status', ...durations)
        .groupBy('e.flow_id', 'f.name', 'e.status');
      return rows.map((r) => ({ ...statusRow(r), flow_id: String(r.flow_id), flow_name: (r.flow_name as string | null) ?? null }));
    },

    async byDay(scope) {
      const rows: Record<string, unknown>[] = await runs(scope)
        .select(db.raw(`${day} as day`), 'e.status', ...durations)
        .groupByRaw(`${day}, e.status`);
      return rows.map((r) => ({ ...statusRow(r), date: String(r.day) }));
    },

    async nodeOutcomes(scope) {
      const rows: Record<string, unknown>[] = await events(scope)
        .select(db.raw(`${nodeType} as node_type`), 'ev.type as outcome', db.raw('count(*) as n'), db.raw(`count(${nodeMs}) as timed`), db.raw(`avg(${nodeMs}) as avg_ms`), db.raw(`max(${nodeMs}) as max_ms`))
        .groupByRaw(`${nodeType}, ev.type`);
      return rows
        .filter((r) => typeof r.node_type === 'string')
        .map((r) => ({
          node_type: String(r.node_type),
          outcome: String(r.outcome),
          count: Number(r.n),
          timed: Number(r.timed),
          avg_duration_ms: numOrNull(r.avg_ms),
          max_duration_ms: numOrNull(r.max_ms),
        }));
    },

    async nodeReach(scope) {
      const rows: Record<string, unknown>[] = await events(scope)
        .select(db.raw(`${nodeType} as node_type`), db.raw('count(distinct e.id) as runs'), db.raw('count(distinct e.flow_id) as flows'))
        .groupByRaw(nodeType);
      return rows
        .filter((r) => typeof r.node_type === 'string')
        .map((r) => ({ node_type: String(r.node_type), executions: Number(r.runs), workflows: Number(r.flows) }));
    },

    async totals(ownerId) {
      const flows = () => {
        const q = db('flows').whereNull('deleted_at');
        if (ownerId !== undefined) q.andWhere('owner_id', ownerId);
        return q;
      };
      const triggerType = jsonTextSql(dialectOf(db), 'trigger', 'type');
      const approvals = db('pending_approvals');
      if (ownerId !== undefined) approvals.where('owner_id', ownerId);
      const [byStatus, byTrigger, enabled, pending] = await Promise.all([
        flows().select('status').count({ n: '*' }).groupBy('status') as Promise<{ status: string; n: number | string }[]>,
        flows().select(db.raw(`${triggerType} as trigger_type`)).count({ n: '*' }).groupByRaw(triggerType) as Promise<
          { trigger_type: string | null; n: number | string }[]
        >,
        flows().where('enabled', true).count({ n: '*' }).first() as Promise<{ n: number | string } | undefined>,
        approvals.count({ n: '*' }).first() as Promise<{ n: number | string } | undefined>,
      ]);
      return {
        flows_by_status: Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])),
        flows_enabled: Number(enabled?.n ?? 0),
        flows_by_trigger: Object.fromEntries(byTrigger.map((r) => [r.trigger_type ?? 'manual', Number(r.n)])),
        pending_approvals: Number(pending?.n ?? 0),
      };
    },
  };
}
