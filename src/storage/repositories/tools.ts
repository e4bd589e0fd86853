import { randomUUID } from 'node:crypto';
import { type Knex } from 'knex';
import { codecFor } from '../codec';
import { rethrowUnique } from '../errors';
import { type OwnerScope, type Page, type PageOptions, selectPage } from '../query-helpers';
import { nowIso } from '../time';

/** How an HTTP tool is called, as stored. */
export interface ToolHttp {
  method: string;
  url: string;
  headers?: Record<string, string>;
  credential?: string;
  timeout_ms?: number;
}

/** A user-defined tool. */
export interface ToolRow {
  id: string;
  owner_id: string;
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  http: ToolHttp;
  created_at: string;
  updated_at: string;
}

/** What creating a tool takes. */
export interface NewTool {
  id?: string;
  owner_id: string;
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  http: ToolHttp;
}

/** Fields of a tool that can change. */
export type ToolPatch = Partial<Pick<ToolRow, 'name' | 'description' | 'input_schema' | 'http'>>;

/** User-defined tools, unique by name per owner. */
export interface ToolRepo {
  /** Throws `UniqueViolationError` when the owner already has a tool of that name. */
  create(input: NewTool): Promise<ToolRow>;
  get(id: string, scope?: OwnerScope): Promise<ToolRow | undefined>;
  getByName(ownerId: string, name: string): Promise<ToolRow | undefined>;
  /** The owner's tool names (the flow check needs no more). */
  names(ownerId: string): Promise<string[]>;
  /** Newest first. */
  list(options?: PageOptions & OwnerScope): Promise<Page<ToolRow>>;
  /** Throws `UniqueViolationError` on a name clash; undefined when not found (or not the scope's). */
  update(id: string, patch: ToolPatch, scope?: OwnerScope): Promise<ToolRow | undefined>;
  delete(id: string, scope?: OwnerScope): Promise<boolean>;
}

const NAME_TAKEN = 'a tool with this name already exists';

/** The tool repository over `db`. */
export function createToolRepo(db: Knex): ToolRepo {
  const codec = codecFor(db);
  const fromRow = (r: Record<string, unknown>): ToolRow => ({
    ...(r as unknown as ToolRow),
    input_schema: codec.fromJson<Record<string, unknown>>(r.input_schema) ?? {},
    http: codec.fromJson<ToolHttp>(r.http),
  });
  const scoped = (id: string, scope: OwnerScope) => {
    const q = db('tools').where({ id });
    if (scope.ownerId !== undefined) q.andWhere({ owner_id: scope.ownerId });
    return q;
  };

  return {
    async create(input) {
      const now = nowIso();
      const [r] = await rethrowUnique(NAME_TAKEN, () =>
        db('tools')
          .insert({
            id: input.id ?? randomUUID(),
            owner_id: input.owner_id,
            name: input.name,
            description: input.description,
            input_schema: codec.toJson(input.input_schema),
            http: codec.toJson(input.http),
            created_at: now,
            updated_at: now,
          })
          .returning('*'),
      );
      return fromRow(r);
    },

    async get(id, scope = {}) {
      const r = await scoped(id, scope).first();
      return r ? fromRow(r) : undefined;
    },

    async getByName(ownerId, name) {
      const r = await db('tools').where({ owner_id: ownerId, name }).first();
      return r ? fromRow(r) : undefined;
    },

    async names(ownerId) {
      return (await db('tools').where({ owner_id: ownerId }).select('name')).map((r: { name: string }) => r.name);
    },

    async list(options = {}) {
      const q = db('tools');
      if (options.ownerId !== undefined) q.where({ owner_id: options.ownerId });
      const { items: rows, total } = await selectPage(q, options, '*', [
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
      return { items: rows.map(fromRow), total };
    },

    async update(id, patch, scope = {}) {
      const changes: Record<string, unknown> = { updated_at: nowIso() };
      if (patch.name !== undefined) changes.name = patch.name;
      if (patch.description !== undefined) changes.description = patch.description;
      if (patch.input_schema !== undefined) changes.input_schema = codec.toJson(patch.input_schema);
      if (patch.http !== undefined) changes.http = codec.toJson(patch.http);
      const [r] = await rethrowUnique(NAME_TAKEN, () => scoped(id, scope).update(changes).returning('*'));
      return r ? fromRow(r) : undefined;
    },

    async delete(id, scope = {}) {
      return (await scoped(id, scope).delete()) > 0;
    },
  };
}
