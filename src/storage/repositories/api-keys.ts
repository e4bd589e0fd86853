import { randomUUID } from 'node:crypto';
import { type Knex } from 'knex';
import { codecFor } from '../codec';
import { rethrowUnique } from '../errors';
import { nowIso, toIso, toIsoOrNull } from '../time';
import { type UserRole, type UserRow } from './users';

/** A row of `api_keys`; the secret itself is never stored, only its SHA-256 (`key_hash`). */
export interface ApiKeyRow {
  id: string;
  owner_id: string;
  name: string;
  /** The first characters of the secret, shown in lists so users can tell keys apart. */
  prefix: string;
  key_hash: string;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  expires_at: string | null;
}

/** An API key as listed: everything but the hash. */
export type ApiKeySummary = Omit<ApiKeyRow, 'key_hash'>;

/** A usable key found by its hash, with its owner (one query for authentication). */
export type ApiKeyWithOwner = ApiKeyRow & { owner: UserRow };

/** What creating an API key takes. */
export interface NewApiKey {
  id?: string;
  owner_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  scopes: string[];
  expires_at?: string | Date | null;
}

/** API keys. */
export interface ApiKeyRepo {
  /** Throws `UniqueViolationError` when the hash already exists. */
  create(input: NewApiKey): Promise<ApiKeyRow>;
  /** The owner's keys, newest first; revoked keys are included unless `includeRevoked` is false. */
  listByOwner(ownerId: string, options?: { includeRevoked?: boolean }): Promise<ApiKeySummary[]>;
  get(id: string, scope?: { ownerId?: string }): Promise<ApiKeySummary | undefined>;
  /** The key with this hash if it is neither revoked nor expired at `now`, joined with its owner. */
  findByHash(keyHash: string, now?: Date): Promise<ApiKeyWithOwner | undefined>;
  /** Revokes a key of `ownerId` (any owner's when undefined); false when there was no such unrevoked key. */
  revoke(id: string, ownerId?: string): Promise<boolean>;
  touchLastUsed(id: string, at?: Date): Promise<void>;
}

const SUMMARY_COLUMNS = [
  'id',
  'owner_id',
  'name',
  'prefix',
  'scopes',
  'created_at',
  'last_used_at',
  'revoked_at',
  'expires_at',
] as const;

/** The API key repository over `db`. */
export function createApiKeyRepo(db: Knex): ApiKeyRepo {
  const codec = codecFor(db);
  const table = () => db('api_keys');
  const fromRow = <T extends ApiKeySummary>(r: Record<string, unknown>): T =>
    ({ ...r, scopes: codec.fromJson<string[]>(r.scopes) ?? [] }) as unknown as T;

  return {
    async create(input) {
      const row: ApiKeyRow = {
        id: input.id ?? randomUUID(),
        owner_id: input.owner_id,
        name: input.name,
        prefix: input.prefix,
        key_hash: input.key_hash,
        scopes: [...input.scopes],
        created_at: nowIso(),
        last_used_at: null,
        revoked_at: null,
        expires_at: toIsoOrNull(input.expires_at),
      };
      await rethrowUnique('API key already exists', () =>
        table().insert({ ...row, scopes: codec.toJson(row.scopes) }),
      );
      return row;
    },

    async listByOwner(ownerId, options = {}) {
      const q = table()
        .select(...SUMMARY_COLUMNS)
        .where({ owner_id: ownerId })
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ]);
      if (options.includeRevoked === false) q.whereNull('revoked_at');
      return (await q).map((r) => fromRow<ApiKeySummary>(r));
    },

    async get(id, scope = {}) {
      const q = table()
        .select(...SUMMARY_COLUMNS)
        .where({ id });
      if (scope.ownerId !== undefined) q.andWhere({ owner_id: scope.ownerId });
      const r = await q.first();
      return r ? fromRow<ApiKeySummary>(r) : undefined;
    },

    async findByHash(keyHash, now = new Date()) {
      const r = await table()
        .join('users', 'users.id', 'api_keys.owner_id')
        .select(
          'api_keys.*',
          'users.username as owner_username',
          'users.email as owner_email',
          'users.password_hash as owner_password_hash',
          'users.role as owner_role',
          'users.created_at as owner_created_at',
          'users.updated_at as owner_updated_at',
        )
        .where('api_keys.key_hash', keyHash)
        .whereNull('api_keys.revoked_at')
        .where((w) => w.whereNull('api_keys.expires_at').orWhere('api_keys.expires_at', '>', toIso(now)))
        .first();
      if (!r) return undefined;
      const {
        owner_username,
        owner_email,
        owner_password_hash,
        owner_role,
        owner_created_at,
        owner_updated_at,
        ...key
      } = r as Record<string, unknown>;
      const owner: UserRow = {
        id: key.owner_id as string,
        username: owner_username as string,
        email: owner_email as string,
        password_hash: owner_password_hash as string,
        role: owner_role as UserRole,
        created_at: owner_created_at as string,
        updated_at: owner_updated_at as string,
      };
      return { ...fromRow<ApiKeyRow>(key), owner };
    },

    async revoke(id, ownerId) {
      const q = table().where({ id }).whereNull('revoked_at');
      if (ownerId !== undefined) q.andWhere({ owner_id: ownerId });
      return (await q.update({ revoked_at: nowIso() })) > 0;
    },

    async touchLastUsed(id, at = new Date()) {
      await table()
        .where({ id })
        .update({ last_used_at: toIso(at) });
    },
  };
}
