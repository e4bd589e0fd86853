import { randomUUID } from 'node:crypto';
import { type Knex } from 'knex';
import { rethrowUnique } from '../errors';
import { type OwnerScope, type Page, type PageOptions, selectPage } from '../query-helpers';
import { nowIso } from '../time';

/** A stored credential. `encrypted_data` is ciphertext produced by the encryption service. */
export interface CredentialRow {
  id: string;
  owner_id: string;
  name: string;
  type: string;
  encrypted_data: string;
  created_at: string;
  updated_at: string;
}

/** A credential as listed: without its ciphertext. */
export type CredentialSummary = Omit<CredentialRow, 'encrypted_data'>;

/** What creating a credential takes. */
export interface NewCredential {
  id?: string;
  owner_id: string;
  name: string;
  type: string;
  encrypted_data: string;
}

/** Fields of a credential that can change. */
export interface CredentialPatch {
  name?: string;
  type?: string;
  encrypted_data?: string;
}

/** Filters and paging of a credential list. */
export type CredentialListOptions = PageOptions & OwnerScope & { type?: string };

/** Credentials; names are unique per owner. */
export interface CredentialRepo {
  /** Throws `UniqueViolationError` when the owner already has a credential with that name. */
  create(input: NewCredential): Promise<CredentialRow>;
  get(id: string, scope?: OwnerScope): Promise<CredentialRow | undefined>;
  findByName(ownerId: string, name: string): Promise<CredentialRow | undefined>;
  /** Sorted by name. */
  list(options?: CredentialListOptions): Promise<Page<CredentialSummary>>;
  /** {@link list} with each credential's ciphertext, for a service that decrypts what it shows (masked previews). */
  listSealed(options?: CredentialListOptions): Promise<Page<CredentialRow>>;
  /** Throws `UniqueViolationError` on a name clash; undefined when not found (or not `ownerId`'s). */
  update(id: string, patch: CredentialPatch, scope?: OwnerScope): Promise<CredentialRow | undefined>;
  delete(id: string, scope?: OwnerScope): Promise<boolean>;
}

const SUMMARY_COLUMNS = ['id', 'owner_id', 'name', 'type', 'created_at', 'updated_at'];

/** The credential repository over `db`. */
export function createCredentialRepo(db: Knex): CredentialRepo {
  const scoped = (id: string, scope: OwnerScope) => {
    const q = db('credentials').where({ id });
    if (scope.ownerId !== undefined) q.andWhere({ owner_id: scope.ownerId });
    return q;
  };

  const listPage = async <T>(columns: string[], options: CredentialListOptions): Promise<Page<T>> => {
    const q = db('credentials');
    if (options.ownerId !== undefined) q.where({ owner_id: options.ownerId });
    if (options.type !== undefined) q.where({ type: options.type });
    return selectPage<T>(q, options, columns, [
      { column: 'name', order: 'asc' },
      { column: 'id', order: 'asc' },
    ]);
  };

  return {
    async create(input) {
      const now = nowIso();
      const row: CredentialRow = {
        id: input.id ?? randomUUID(),
        owner_id: input.owner_id,
        name: input.name,
        type: input.type,
        encrypted_data: input.encrypted_data,
        created_at: now,
        updated_at: now,
      };
      await rethrowUnique(`a credential named "${input.name}" already exists`, () =>
        db('credentials').insert(row),
      );
      return row;
    },

    async get(id, scope = {}) {
      return (await scoped(id, scope).first()) as CredentialRow | undefined;
    },

    async findByName(ownerId, name) {
      return (await db('credentials').where({ owner_id: ownerId, name }).first()) as
        CredentialRow | undefined;
    },

    list(options = {}) {
      return listPage<CredentialSummary>(SUMMARY_COLUMNS, options);
    },

    listSealed(options = {}) {
      return listPage<CredentialRow>(['*'], options);
    },

    async update(id, patch, scope = {}) {
      const changes: Record<string, unknown> = { updated_at: nowIso() };
      for (const key of ['name', 'type', 'encrypted_data'] as const) {
        if (patch[key] !== undefined) changes[key] = patch[key];
      }
      const [row] = await rethrowUnique(`a credential named "${patch.name}" already exists`, () =>
        scoped(id, scope).update(changes).returning('*'),
      );
      return row as CredentialRow | undefined;
    },

    async delete(id, scope = {}) {
      return (await scoped(id, scope).delete()) > 0;
    },
  };
}
