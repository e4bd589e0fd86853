import { randomUUID } from 'node:crypto';
import { type Knex } from 'knex';
import { codecFor } from '../codec';
import { rethrowUnique } from '../errors';
import { type OwnerScope, type Page, type PageOptions, selectPage } from '../query-helpers';
import { nowIso } from '../time';

/** The kinds of data source (docs/data-sources.md). */
export const DATA_SOURCE_TYPES = ['postgresql', 'mysql', 'sqlite', 'api', 'json'] as const;
export type DataSourceType = (typeof DATA_SOURCE_TYPES)[number];

/** What the last connection test found; `unknown` before one ran (and after the settings changed). */
export const DATA_SOURCE_STATUSES = ['unknown', 'active', 'error'] as const;
export type DataSourceStatus = (typeof DATA_SOURCE_STATUSES)[number];

/** A stored data source. `secrets_encrypted` is sealed by the secret box. */
export interface DataSourceRow {
  id: string;
  owner_id: string;
  name: string;
  type: DataSourceType;
  description: string | null;
  /** The settings that are not secret. */
  config: Record<string, unknown>;
  secrets_encrypted: string | null;
  read_only: boolean;
  status: DataSourceStatus;
  status_message: string | null;
  tested_at: string | null;
  created_at: string;
  updated_at: string;
}

/** What creating a data source takes. */
export interface NewDataSource {
  id?: string;
  owner_id: string;
  name: string;
  type: DataSourceType;
  description?: string | null;
  config: Record<string, unknown>;
  secrets_encrypted?: string | null;
  /** Default `true`. */
  read_only?: boolean;
}

/** Fields of a data source that can change; a change of settings resets `status` unless given. */
export interface DataSourcePatch {
  name?: string;
  type?: DataSourceType;
  description?: string | null;
  config?: Record<string, unknown>;
  secrets_encrypted?: string | null;
  read_only?: boolean;
}

/** The outcome of a connection test. */
export interface DataSourceTestOutcome {
  status: Exclude<DataSourceStatus, 'unknown'>;
  message: string;
}

/** Data sources; names are unique per owner. */
export interface DataSourceRepo {
  /** Throws `UniqueViolationError` when the owner already has a data source with that name. */
  create(input: NewDataSource): Promise<DataSourceRow>;
  get(id: string, scope?: OwnerScope): Promise<DataSourceRow | undefined>;
  /** The owner's data source with this id or, failing that, this name. */
  findByIdOrName(ownerId: string, idOrName: string): Promise<DataSourceRow | undefined>;
  /** Sorted by name. */
  list(options?: PageOptions & OwnerScope & { type?: string; status?: string }): Promise<Page<DataSourceRow>>;
  /** Throws `UniqueViolationError` on a name clash; undefined when not found (or not `ownerId`'s). */
  update(id: string, patch: DataSourcePatch, scope?: OwnerScope): Promise<DataSourceRow | undefined>;
  /** Records a test's outcome, unless the settings changed since `updatedAt` (then it tested old ones). */
  recordTest(id: string, updatedAt: string, outcome: DataSourceTestOutcome): Promise<DataSourceRow | undefined>;
  delete(id: string, scope?: OwnerScope): Promise<boolean>;
}

/** The data source repository over `db`. */
export function createDataSourceRepo(db: Knex): DataSourceRepo {
  const codec = codecFor(db);
  const fromRow = (r: Record<string, unknown>): DataSourceRow => ({
    ...(r as unknown as DataSourceRow),
    description: (r.description as string | null | undefined) ?? null,
    config: codec.fromJson<Record<string, unknown>>(r.config) ?? {},
    read_only: codec.bool(r.read_only),
  });
  const scoped = (id: string, scope: OwnerScope) => {
    const q = db('data_sources').where({ id });
    if (scope.ownerId !== undefined) q.andWhere({ owner_id: scope.ownerId });
    return q;
  };

  return {
    async create(input) {
      const now = nowIso();
      const row = {
        id: input.id ?? randomUUID(),
        owner_id: input.owner_id,
        name: input.name,
        type: input.type,
        description: input.description ?? null,
        config: codec.toJson(input.config),
        secrets_encrypted: input.secrets_encrypted ?? null,
        read_only: input.read_only ?? true,
        status: 'unknown',
        status_message: null,
        tested_at: null,
        created_at: now,
        updated_at: now,
      };
      const [r] = await rethrowUnique(`a data source named "${input.name}" already exists`, () =>
        db('data_sources').insert(row).returning('*'),
      );
      return fromRow(r);
    },

    async get(id, scope = {}) {
      const r = await scoped(id, scope).first();
      return r ? fromRow(r) : undefined;
    },

    async findByIdOrName(ownerId, idOrName) {
      const byId = await db('data_sources').where({ owner_id: ownerId, id: idOrName }).first();
      const r = byId ?? (await db('data_sources').where({ owner_id: ownerId, name: idOrName }).first());
      return r ? fromRow(r) : undefined;
    },

    async list(options = {}) {
      const q = db('data_sources');
      if (options.ownerId !== undefined) q.where({ owner_id: options.ownerId });
      if (options.type !== undefined) q.where({ type: options.type });
      if (options.status !== undefined) q.where({ status: options.status });
      const { items: rows, total } = await selectPage(q, options, '*', [
        { column: 'name', order: 'asc' },
        { column: 'id', order: 'asc' },
      ]);
      return { items: rows.map(fromRow), total };
    },

    async update(id, patch, scope = {}) {
      const changes: Record<string, unknown> = { updated_at: nowIso() };
      if (patch.name !== undefined) changes.name = patch.name;
      if (patch.type !== undefined) changes.type = patch.type;
      if (patch.description !== undefined) changes.description = patch.description;
      if (patch.config !== undefined) changes.config = codec.toJson(patch.config);
      if (patch.secrets_encrypted !== undefined) changes.secrets_encrypted = patch.secrets_encrypted;
      if (patch.read_only !== undefined) changes.read_only = patch.read_only;
      // New settings have not been tested: what the last test found says nothing about them.
      if (patch.type !== undefined || patch.config !== undefined || patch.secrets_encrypted !== undefined) {
        Object.assign(changes, { status: 'unknown', status_message: null, tested_at: null });
      }
      const [r] = await rethrowUnique(`a data source named "${patch.name}" already exists`, () =>
        scoped(id, scope).update(changes).returning('*'),
      );
      return r ? fromRow(r) : undefined;
    },

    async recordTest(id, updatedAt, outcome) {
      const [r] = await db('data_sources')
        .where({ id, updated_at: updatedAt })
        .update({ status: outcome.status, status_message: outcome.message, tested_at: nowIso() })
        .returning('*');
      return r ? fromRow(r) : undefined;
    },

    async delete(id, scope = {}) {
      return (await scoped(id, scope).delete()) > 0;
    },
  };
}
