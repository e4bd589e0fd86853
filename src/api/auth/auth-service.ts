import type { Config } from '../../config';
import { type ApiKeySummary, type Repos, UniqueViolationError, type UserRow } from '../../storage';
import { conflict, forbidden } from '../errors';
import type { Principal, Scope } from '../principal';
import { generateApiKey } from './api-keys';
import { hashPassword, verifyPasswordOrDummy } from './passwords';
import { signAccessToken, type SignedToken } from './tokens';

/** A user as the API returns it: never the password hash. */
export interface PublicUser {
  id: string;
  username: string;
  email: string;
  role: UserRow['role'];
  created_at: string;
  updated_at: string;
}

/** An API key as listed: no secret, no hash. */
export type ApiKeyView = Pick<
  ApiKeySummary,
  'id' | 'name' | 'prefix' | 'scopes' | 'created_at' | 'last_used_at' | 'expires_at' | 'revoked_at'
>;

/** A key just created: the only time `key` (the secret) is returned. */
export type CreatedApiKey = Pick<
  ApiKeyView,
  'id' | 'name' | 'prefix' | 'scopes' | 'created_at' | 'expires_at'
> & {
  key: string;
};

/** What registering takes (already validated). */
export interface Registration {
  username: string;
  email: string;
  password: string;
}

/** What creating an API key takes (already validated). */
export interface ApiKeyRequest {
  name: string;
  scopes: Scope[];
  expires_in_days?: number;
}

/** Only these fields of a user row ever leave the API. */
export function toPublicUser(u: UserRow): PublicUser {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    role: u.role,
    created_at: u.created_at,
    updated_at: u.updated_at,
  };
}

/** Only these fields of a key row ever leave the API. */
export function toApiKeyView(k: ApiKeySummary): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    created_at: k.created_at,
    last_used_at: k.last_used_at,
    expires_at: k.expires_at,
    revoked_at: k.revoked_at,
  };
}

/** Users, logins and API keys. */
export interface AuthService {
  /**
   * Creates a user with the username lower-cased; the very first user becomes `admin`. 409 when
   * the username or email is taken, in any letter case.
   */
  register(input: Registration): Promise<PublicUser>;
  /** The user whose username or email is `login`, compared case-insensitively. */
  findLogin(login: string): Promise<UserRow | undefined>;
  /** Whether `password` is `user`'s; without a user, false after the same work as a real check. */
  checkPassword(user: UserRow | undefined, password: string): Promise<boolean>;
  issueToken(user: UserRow): SignedToken;
  getUser(id: string): Promise<PublicUser | undefined>;
  /** 403 when asking for `admin` without holding it. */
  createApiKey(principal: Principal, input: ApiKeyRequest): Promise<CreatedApiKey>;
  listApiKeys(ownerId: string, options: { includeRevoked: boolean }): Promise<ApiKeyView[]>;
  getApiKey(ownerId: string, id: string): Promise<ApiKeyView | undefined>;
  /** Revokes the owner's key; true when it exists (revoking twice is fine), false when it is not theirs. */
  revokeApiKey(ownerId: string, id: string): Promise<boolean>;
}

/** Builds the {@link AuthService} over the repositories. */
export function createAuthService({ config, repos }: { config: Config; repos: Repos }): AuthService {
  // Serialises the "is this the first user?" check with the insert so two concurrent first
  // registrations cannot both become admin (within one process).
  let registering: Promise<unknown> = Promise.resolve();

  async function insertUser(input: Registration, passwordHash: string): Promise<UserRow> {
    const taken = await repos.users.findByUsernameOrEmail(input.username, input.email);
    if (taken) {
      const field = taken.username.toLowerCase() === input.username ? 'username' : 'email';
      throw conflict(`${field} already registered`, { [field]: 'already registered' });
    }
    const role = (await repos.users.count()) === 0 ? 'admin' : 'user';
    try {
      return await repos.users.create({
        username: input.username,
        email: input.email,
        password_hash: passwordHash,
        role,
      });
    } catch (err) {
      if (err instanceof UniqueViolationError) throw conflict('username or email already registered');
      throw err;
    }
  }

  return {
    async register(input) {
      const passwordHash = await hashPassword(input.password);
      const normalized = { ...input, username: input.username.toLowerCase(), email: input.email.toLowerCase() };
      const run = registering.then(() => insertUser(normalized, passwordHash));
      registering = run.catch(() => undefined);
      return toPublicUser(await run);
    },

    findLogin: (login) => repos.users.findByUsernameOrEmail(login),

    checkPassword: (user, password) => verifyPasswordOrDummy(user?.password_hash, password),

    issueToken: (user) => signAccessToken(user.id, config.jwt),

    async getUser(id) {
      const u = await repos.users.findById(id);
      return u ? toPublicUser(u) : undefined;
    },

    async createApiKey(principal, input) {
      if (input.scopes.includes('admin') && !principal.scopes.includes('admin')) {
        throw forbidden('only admins can create keys with scope admin');
      }
      const generated = generateApiKey();
      const expiresAt = input.expires_in_days
        ? new Date(Date.now() + input.expires_in_days * 86_400_000)
        : null;
      const row = await repos.apiKeys.create({
        owner_id: principal.user.id,
        name: input.name,
        prefix: generated.prefix,
        key_hash: generated.hash,
        scopes: [...new Set(input.scopes)],
        expires_at: expiresAt,
      });
      return {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        scopes: row.scopes,
        created_at: row.created_at,
        expires_at: row.expires_at,
        key: generated.key,
      };
    },

    async listApiKeys(ownerId, { includeRevoked }) {
      return (await repos.apiKeys.listByOwner(ownerId, { includeRevoked })).map(toApiKeyView);
    },

    async getApiKey(ownerId, id) {
      const k = await repos.apiKeys.get(id, { ownerId });
      return k ? toApiKeyView(k) : undefined;
    },

    async revokeApiKey(ownerId, id) {
      if (await repos.apiKeys.revoke(id, ownerId)) return true;
      return (await repos.apiKeys.get(id, { ownerId })) !== undefined;
    },
  };
}
