import { randomUUID } from 'node:crypto';
import { type Knex } from 'knex';
import { rethrowUnique } from '../errors';
import { nowIso } from '../time';

/** A user's role: admins see and manage every owner's resources. */
export type UserRole = 'user' | 'admin';

/** A row of `users`. `password_hash` must never leave the API. */
export interface UserRow {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  role: UserRole;
  created_at: string;
  updated_at: string;
}

/** What creating a user takes; `id` and `role` default to a new UUID and `user`. */
export interface NewUser {
  id?: string;
  username: string;
  email: string;
  password_hash: string;
  role?: UserRole;
}

/** Users. */
export interface UserRepo {
  /** Throws `UniqueViolationError` when the username or email is taken. */
  create(input: NewUser): Promise<UserRow>;
  findById(id: string): Promise<UserRow | undefined>;
  findByUsername(username: string): Promise<UserRow | undefined>;
  /**
   * The user whose username is `username` or whose email is `email` (default: `username`, so a
   * login name may be either), both compared case-insensitively. An exact username match wins over
   * a case-insensitive one (rows from before usernames were lower-cased may differ only in case),
   * and a username match over an email match.
   */
  findByUsernameOrEmail(username: string, email?: string): Promise<UserRow | undefined>;
  count(): Promise<number>;
}

/** The user repository over `db`. */
export function createUserRepo(db: Knex): UserRepo {
  const table = () => db<UserRow>('users');

  return {
    async create(input) {
      const now = nowIso();
      const row: UserRow = {
        id: input.id ?? randomUUID(),
        username: input.username,
        email: input.email,
        password_hash: input.password_hash,
        role: input.role ?? 'user',
        created_at: now,
        updated_at: now,
      };
      await rethrowUnique('username or email already registered', () => table().insert(row));
      return row;
    },

    async findById(id) {
      return (await table().where({ id }).first()) as UserRow | undefined;
    },

    async findByUsername(username) {
      return (await table().where({ username }).first()) as UserRow | undefined;
    },

    async findByUsernameOrEmail(username, email = username) {
      const lower = username.toLowerCase();
      return (await table()
        .whereRaw('lower(username) = ?', [lower])
        .orWhere({ email: email.toLowerCase() })
        .orderByRaw('case when username = ? then 0 when lower(username) = ? then 1 else 2 end', [username, lower])
        .first()) as UserRow | undefined;
    },

    async count() {
      const row = (await table().count({ n: '*' }).first()) as { n: number | string } | undefined;
      return Number(row?.n ?? 0);
    },
  };
}
