import { randomUUID } from 'node:crypto';
import { type Knex } from 'knex';
import { type FlowEdge, type FlowNode } from '../../shared/flow';
import {
  definitionOf,
  type FlowTrigger,
  type FlowDefinition,
  type FlowRow,
  type FlowSummary,
  type NewFlowVersion,
  type FlowSortBy,
  type FlowVersionRow,
  type FlowVersionSummary,
  type FlowRepo,
} from './flow-types';
import { codecFor } from '../codec';
import { hashDefinition } from '../definition-hash';
import { preparedReads, type SqlValue } from '../prepared';
import {
  containsPattern,
  jsonTextSql,
  pageBounds,
  whereJsonTextEquals,
} from '../query-helpers';
import { nowIso } from '../time';

export * from './flow-types';

/**
 * Every column of a flow row, in table order. The prepared reads name them: a Postgres prepared
 * statement with `select *` fails with "cached plan must not change result type" once another
 * process's migration adds a column.
 */
const FLOW_COLUMNS = [
  'id',
  'owner_id',
  'name',
  'description',
  'status',
  'enabled',
  'trigger',
  'nodes',
  'edges',
  'settings',
  'version',
  'created_at',
  'updated_at',
  'deleted_at',
] as const;

const selectList = (columns: readonly string[]) => columns.map((c) => `"${c}"`).join(', ');
const FLOW_SELECT = selectList(FLOW_COLUMNS);
/** A summary is a flow without its graph. */
const SUMMARY_SELECT = selectList(FLOW_COLUMNS.filter((c) => c !== 'nodes' && c !== 'edges'));

const VERSION_SUMMARY_COLUMNS = [
  'id',
  'flow_id',
  'version',
  'definition_hash',
  'author_id',
  'comment',
  'created_at',
];

const SORTABLE: Record<FlowSortBy, true> = { name: true, created_at: true, updated_at: true };

/** The flow repository over `db`. */
export function createFlowRepo(db: Knex): FlowRepo {
  const codec = codecFor(db);
  const reads = preparedReads(db);
  // The API's hottest read: concurrent `GET /workflows/{id}` share one query per event-loop turn.
  const liveById = reads.batchedByKey(`select ${FLOW_SELECT} from "flows" where "deleted_at" is null`, 'id');

  const fromRow = (r: Record<string, unknown>): FlowRow => ({
    ...(r as unknown as FlowRow),
    enabled: codec.bool(r.enabled),
    version: codec.int(r.version),
    trigger: codec.fromJson<FlowTrigger>(r.trigger),
    nodes: codec.fromJson<FlowNode[]>(r.nodes),
    edges: codec.fromJson<FlowEdge[]>(r.edges),
    settings: codec.fromJson<Record<string, unknown>>(r.settings),
  });

  const summaryFromRow = (r: Record<string, unknown>): FlowSummary => ({
    ...(r as unknown as FlowSummary),
    enabled: codec.bool(r.enabled),
    version: codec.int(r.version),
    trigger: codec.fromJson<FlowTrigger>(r.trigger),
    settings: codec.fromJson<Record<string, unknown>>(r.settings),
  });

  const versionFromRow = (r: Record<string, unknown>): FlowVersionRow => ({
    ...(r as unknown as FlowVersionRow),
    version: codec.int(r.version),
    definition: codec.fromJson<FlowDefinition>(r.definition),
  });

  const insertVersion = async (
    trx: Knex.Transaction,
    flow: FlowRow,
    meta: NewFlowVersion,
    createdAt: string,
  ): Promise<void> => {
    const definition = definitionOf(flow);
    await trx('flow_versions').insert({
      id: randomUUID(),
      flow_id: flow.id,
      version: flow.version,
      definition: codec.toJson(definition),
      definition_hash: meta.definition_hash ?? hashDefinition(definition),
      author_id: meta.author_id ?? null,
      comment: meta.comment ?? null,
      created_at: createdAt,
    });
  };

  return {
    create(input) {
      return db.transaction(async (trx) => {
        const now = nowIso();
        const [inserted] = await trx('flows')
          .insert({
            id: input.id ?? randomUUID(),
            owner_id: input.owner_id,
            name: input.name,
            description: input.description ?? '',
            status: input.status ?? 'draft',
            enabled: input.enabled ?? true,
            trigger: codec.toJson(input.trigger ?? { type: 'manual' }),
            nodes: codec.toJson(input.nodes ?? []),
            edges: codec.toJson(input.edges ?? []),
            settings: codec.toJson(input.settings ?? {}),
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: null,
          })
          .returning('*');
        const flow = fromRow(inserted);
        await insertVersion(
          trx,
          flow,
          {
            author_id: input.author_id === undefined ? input.owner_id : input.author_id,
            comment: input.comment,
            definition_hash: input.definition_hash,
          },
          now,
        );
        return flow;
      });
    },

    async get(id, options = {}) {
      if (!options.includeDeleted) {
        const r = (await liveById(id))[0];
        return r && (options.ownerId === undefined || r.owner_id === options.ownerId) ? fromRow(r) : undefined;
      }
      let sql = `select ${FLOW_SELECT} from "flows" where "id" = ?`;
      const params: SqlValue[] = [id];
      if (options.ownerId !== undefined) {
        sql += ' and "owner_id" = ?';
        params.push(options.ownerId);
      }
      const r = await reads.first(sql + ' limit 1', params);
      return r ? fromRow(r) : undefined;
    },

    async list(options = {}) {
      const { skip, limit } = pageBounds(options);
      const where = ['"deleted_at" is null'];
      const params: SqlValue[] = [];
      const filter = (condition: string, ...values: SqlValue[]) => {
        where.push(condition);
        params.push(...values);
      };
      if (options.ownerId !== undefined) filter('"owner_id" = ?', options.ownerId);
      if (options.status !== undefined) filter('"status" = ?', options.status);
      if (options.enabled !== undefined) filter('"enabled" = ?', options.enabled);
      if (options.live !== undefined) {
        filter(`${options.live ? '' : 'not '}("enabled" = ? and "status" <> ?)`, true, 'archived');
      }
      if (options.triggerType !== undefined) filter(`${jsonTextSql(codec.dialect, 'trigger', 'type')} = ?`, options.triggerType);
      if (options.search) {
        const pattern = containsPattern(options.search);
        filter(`(lower("name") like ? escape ? or lower("description") like ? escape ?)`, pattern, '\\', pattern, '\\');
      }
      const whereSql = ` from "flows" where ${where.join(' and ')}`;

      const sortBy = options.sortBy && SORTABLE[options.sortBy] ? options.sortBy : 'updated_at';
      const order = options.sortOrder === 'asc' ? 'asc' : 'desc';
      // Names sort case-insensitively so both dialects agree (their default collations do not).
      const orderSql = `${sortBy === 'name' ? `lower("name") ${order}, ` : ''}"${sortBy}" ${order}, "id" ${order}`;
      const [count, rows] = await Promise.all([
        reads.first<{ n: number | string }>(`select count(*) as "n"${whereSql}`, params),
        reads.all(`select ${SUMMARY_SELECT}${whereSql} order by ${orderSql} limit ? offset ?`, [...params, limit, skip]),
      ]);
      return { items: rows.map(summaryFromRow), total: Number(count?.n ?? 0) };
    },

    async listNodes(ownerId) {
      const rows = await db('flows')
        .select('id', 'name', 'nodes')
        .where({ owner_id: ownerId })
        .whereNull('deleted_at')
        .orderBy([
          { column: 'created_at', order: 'asc' },
          { column: 'id', order: 'asc' },
        ]);
      return rows.map((r) => ({ id: r.id as string, name: r.name as string, nodes: codec.fromJson<FlowNode[]>(r.nodes) }));
    },

    async listTriggered(options) {
      const q = db('flows').whereNull('deleted_at').andWhere({ enabled: true });
      whereJsonTextEquals(q, db, 'trigger', 'type', options.triggerType);
      if (options.event !== undefined) whereJsonTextEquals(q, db, 'trigger', 'event', options.event);
      if (options.ownerId !== undefined) q.andWhere({ owner_id: options.ownerId });
      const rows = await q.orderBy([
        { column: 'created_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ]);
      return rows.map(fromRow);
    },

    update(id, patch, options = {}) {
      return db.transaction(async (trx) => {
        const now = nowIso();
        const changes: Record<string, unknown> = { updated_at: now };
        if (patch.name !== undefined) changes.name = patch.name;
        if (patch.description !== undefined) changes.description = patch.description;
        if (patch.status !== undefined) changes.status = patch.status;
        if (patch.enabled !== undefined) changes.enabled = patch.enabled;
        for (const key of ['trigger', 'nodes', 'edges', 'settings'] as const) {
          if (patch[key] !== undefined) changes[key] = codec.toJson(patch[key]);
        }
        // Incrementing in the UPDATE itself (not read-then-write) keeps concurrent edits from
        // claiming the same version number: the row lock serialises them.
        if (options.newVersion) changes.version = trx.raw('?? + 1', ['version']);

        const q = trx('flows').where({ id }).whereNull('deleted_at');
        if (options.ownerId !== undefined) q.andWhere({ owner_id: options.ownerId });
        const [updated] = await q.update(changes).returning('*');
        if (!updated) return undefined;
        const flow = fromRow(updated);
        if (options.newVersion) await insertVersion(trx, flow, options.newVersion, now);
        return flow;
      });
    },

    async softDelete(id, options = {}) {
      const q = db('flows').where({ id }).whereNull('deleted_at');
      if (options.ownerId !== undefined) q.andWhere({ owner_id: options.ownerId });
      const now = nowIso();
      return (await q.update({ deleted_at: now, updated_at: now })) > 0;
    },

    async listVersions(flowId) {
      const rows = await db('flow_versions')
        .select(VERSION_SUMMARY_COLUMNS)
        .where({ flow_id: flowId })
        .orderBy('version', 'desc');
      return rows.map((r) => ({ ...(r as FlowVersionSummary), version: codec.int(r.version) }));
    },

    async getVersion(flowId, version) {
      const r = await db('flow_versions').where({ flow_id: flowId, version }).first();
      return r ? versionFromRow(r) : undefined;
    },
  };
}
