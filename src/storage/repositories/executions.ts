import { randomUUID } from 'node:crypto';
import { type Knex } from 'knex';
import { type ExecutionStatus, type RunTrigger, workflowIdFor } from '../../shared/flow';
import { codecFor, dialectOf } from '../codec';
import { rethrowUnique } from '../errors';
import { countRows, jsonTextSql, pageBounds, whereContainsIgnoreCase } from '../query-helpers';
import { nowIso, toIso, toIsoOrNull } from '../time';
import type { ExecutionListItem, ExecutionRepo, ExecutionRow, NewExecution } from './execution-types';

export * from './execution-types';

/** Statuses after which a run never changes again. */
export const TERMINAL_EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'completed',
  'failed',
  'cancelled',
  'terminated',
  'timed_out',
];

/** Statuses of runs that Temporal may still be executing (reconciliation looks at these). */
export const ACTIVE_EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'pending',
  'running',
  'paused',
  'waiting',
];

/** The run index repository over `db`. */
export function createExecutionRepo(db: Knex): ExecutionRepo {
  const codec = codecFor(db);

  const fromRow = <T extends ExecutionRow = ExecutionRow>(r: Record<string, unknown>): T =>
    ({
      ...r,
      flow_version: codec.int(r.flow_version),
      trigger: codec.fromJson<RunTrigger>(r.trigger),
      input_data: codec.fromJson(r.input_data),
      output_data: codec.fromJson(r.output_data),
      error: codec.fromJson(r.error),
      execution_time_ms: codec.intOrNull(r.execution_time_ms),
    }) as unknown as T;

  const toInsert = (input: NewExecution): Record<string, unknown> => {
    const id = input.id ?? randomUUID();
    const now = nowIso();
    return {
      id,
      flow_id: input.flow_id,
      flow_version: input.flow_version,
      owner_id: input.owner_id,
      status: input.status ?? 'pending',
      trigger: codec.toJson(input.trigger),
      input_data: codec.toJson(input.input_data),
      output_data: null,
      error: null,
      temporal_workflow_id:
        input.temporal_workflow_id === undefined ? workflowIdFor(id) : input.temporal_workflow_id,
      temporal_run_id: input.temporal_run_id ?? null,
      idempotency_key: input.idempotency_key ?? null,
      parent_execution_id: input.parent_execution_id ?? null,
      started_at: toIsoOrNull(input.started_at),
      finished_at: null,
      execution_time_ms: null,
      created_at: now,
      updated_at: now,
    };
  };

  const findByIdempotencyKey = async (ownerId: string, key: string): Promise<ExecutionRow | undefined> => {
    const r = await db('executions').where({ owner_id: ownerId, idempotency_key: key }).first();
    return r ? fromRow(r) : undefined;
  };

  const create = async (input: NewExecution): Promise<ExecutionRow> => {
    const [r] = await rethrowUnique('idempotency key already used', () =>
      db('executions').insert(toInsert(input)).returning('*'),
    );
    return fromRow(r);
  };

  return {
    create,

    async createOrGet(input) {
      if (!input.idempotency_key) return { execution: await create(input), created: true };
      const [r] = await db('executions')
        .insert(toInsert(input))
        .onConflict(['owner_id', 'idempotency_key'])
        .ignore()
        .returning('*');
      if (r) return { execution: fromRow(r), created: true };
      const existing = await findByIdempotencyKey(input.owner_id, input.idempotency_key);
      if (!existing) throw new Error('idempotent insert was ignored but no run holds the key');
      return { execution: existing, created: false };
    },

    async createIfMissing(input) {
      const rows = await db('executions').insert(toInsert(input)).onConflict('id').ignore().returning('id');
      return rows.length > 0;
    },

    async get(id, scope = {}) {
      const q = db('executions').where({ id });
      if (scope.ownerId !== undefined) q.andWhere({ owner_id: scope.ownerId });
      const r = await q.first();
      return r ? fromRow(r) : undefined;
    },

    async list(options = {}) {
      const { skip, limit } = pageBounds(options);
      const q = db('executions as e').leftJoin('flows as f', 'f.id', 'e.flow_id');
      if (options.ownerId !== undefined) q.where('e.owner_id', options.ownerId);
      if (options.flowId !== undefined) q.where('e.flow_id', options.flowId);
      if (options.parentExecutionId !== undefined)
        q.where('e.parent_execution_id', options.parentExecutionId);
      if (options.status !== undefined) {
        q.whereIn('e.status', Array.isArray(options.status) ? options.status : [options.status]);
      }
      if (options.since !== undefined) q.where('e.created_at', '>=', toIso(options.since));
      if (options.until !== undefined) q.where('e.created_at', '<=', toIso(options.until));
      if (options.search) whereContainsIgnoreCase(q, ['e.id', 'f.name'], options.search);
      if (options.triggerType !== undefined) q.whereRaw(`${jsonTextSql(dialectOf(db), 'e.trigger', 'type')} = ?`, [options.triggerType]);

      // The total comes from the same query as the items (a window count), so under concurrent
      // status changes a page and its total always describe the same snapshot.
      const rows: Record<string, unknown>[] = await q
        .clone()
        .select('e.*', 'f.name as flow_name', db.raw('count(*) over () as total_count'))
        .orderBy([
          { column: 'e.created_at', order: 'desc' },
          { column: 'e.id', order: 'desc' },
        ])
        .offset(skip)
        .limit(limit);
      const total = rows.length ? Number(rows[0].total_count) : await countRows(q);
      return {
        items: rows.map(({ total_count: _total, ...r }) => fromRow<ExecutionListItem>({ ...r, flow_name: r.flow_name ?? null })),
        total,
      };
    },

    async update(id, patch, options = {}) {
      const changes: Record<string, unknown> = { updated_at: nowIso() };
      if (patch.status !== undefined) changes.status = patch.status;
      for (const key of ['input_data', 'output_data', 'error'] as const) {
        if (patch[key] !== undefined) changes[key] = codec.toJson(patch[key]);
      }
      for (const key of ['temporal_workflow_id', 'temporal_run_id', 'execution_time_ms'] as const) {
        if (patch[key] !== undefined) changes[key] = patch[key];
      }
      for (const key of ['started_at', 'finished_at'] as const) {
        if (patch[key] !== undefined) changes[key] = toIsoOrNull(patch[key]);
      }
      const q = db('executions').where({ id });
      if (options.ifStatusIn) q.whereIn('status', [...options.ifStatusIn]);
      const [r] = await q.update(changes).returning('*');
      return r ? fromRow(r) : undefined;
    },

    async markStarted(id, started) {
      const changes: Record<string, unknown> = {
        updated_at: nowIso(),
        temporal_run_id: started.temporal_run_id,
        status: db.raw(`CASE WHEN status = 'pending' THEN 'running' ELSE status END`),
      };
      if (started.started_at !== undefined) changes.started_at = toIsoOrNull(started.started_at);
      await db('executions').where({ id }).whereIn('status', [...ACTIVE_EXECUTION_STATUSES]).update(changes);
    },

    findByIdempotencyKey,

    async oldestCreatedAtActiveOrFinishedSince(since) {
      const row = (await db('executions')
        .where((w) => {
          w.whereIn('status', [...ACTIVE_EXECUTION_STATUSES]).orWhere('finished_at', '>=', since);
        })
        .min({ oldest: 'created_at' })
        .first()) as { oldest: string | null } | undefined;
      return row?.oldest ?? undefined;
    },

    async listActive(options = {}) {
      const q = db('executions')
        .whereIn('status', [...ACTIVE_EXECUTION_STATUSES])
        .orderBy([
          { column: 'created_at', order: 'asc' },
          { column: 'id', order: 'asc' },
        ]);
      if (options.limit !== undefined) q.limit(options.limit);
      return (await q).map((r) => fromRow(r));
    },

    async listPending({ limit, createdBefore }) {
      const rows = await db('executions')
        .where({ status: 'pending' })
        .andWhere('created_at', '<', createdBefore)
        .orderBy([
          { column: 'created_at', order: 'asc' },
          { column: 'id', order: 'asc' },
        ])
        .limit(limit);
      return rows.map((r) => fromRow(r));
    },

    async listToReconcile({ limit, checkedBefore }) {
      const rows = await db('executions')
        .whereIn('status', ['running', 'paused', 'waiting'])
        .andWhere((w) => w.whereNull('checked_at').orWhere('checked_at', '<', checkedBefore))
        .orderByRaw('checked_at is not null, checked_at asc, created_at asc')
        .limit(limit);
      return rows.map((r) => fromRow(r));
    },

    async markChecked(ids) {
      if (ids.length === 0) return;
      await db('executions').whereIn('id', [...ids]).update({ checked_at: nowIso() });
    },

    async countByFlowTriggerStatus() {
      const type = jsonTextSql(dialectOf(db), 'trigger', 'type');
      const rows = (await db('executions')
        .select('flow_id', db.raw(`${type} as trigger_type`), 'status')
        .count({ n: '*' })
        .groupByRaw(`flow_id, ${type}, status`)) as { flow_id: string; trigger_type: string | null; status: ExecutionStatus; n: number | string }[];
      return rows.map((r) => ({ flow_id: r.flow_id, trigger_type: r.trigger_type ?? 'unknown', status: r.status, n: Number(r.n) }));
    },

    async countByStatus(options = {}) {
      const q = db('executions').select('status').count({ n: '*' }).groupBy('status');
      if (options.ownerId !== undefined) q.where({ owner_id: options.ownerId });
      if (options.flowId !== undefined) q.where({ flow_id: options.flowId });
      const out: Partial<Record<ExecutionStatus, number>> = {};
      for (const r of (await q) as { status: ExecutionStatus; n: number | string }[])
        out[r.status] = Number(r.n);
      return out;
    },
  };
}
