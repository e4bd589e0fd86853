import { type Knex } from 'knex';

/** The two supported SQL dialects. */
export type Dialect = 'sqlite' | 'pg';

/** The dialect a knex instance (or transaction) talks to. */
export function dialectOf(db: Knex): Dialect {
  return db.client.dialect === 'postgresql' ? 'pg' : 'sqlite';
}

/**
 * Converts values between their stored and their API form, hiding the dialects' differences:
 * JSON is text on SQLite and jsonb on Postgres, booleans are 0/1 on SQLite, and Postgres returns
 * bigint columns and counts as strings.
 */
export interface Codec {
  dialect: Dialect;
  /** The value to bind for a JSON column; `undefined` and `null` become SQL NULL. */
  toJson(value: unknown): string | null;
  /** A JSON column's value as a parsed object; SQL NULL becomes `null`. */
  fromJson<T = unknown>(value: unknown): T;
  bool(value: unknown): boolean;
  int(value: unknown): number;
  intOrNull(value: unknown): number | null;
}

/** The codec for the dialect of `db`. */
export function codecFor(db: Knex): Codec {
  const dialect = dialectOf(db);
  return {
    dialect,
    // Always bind JSON as text: the pg driver would turn JS arrays into Postgres arrays.
    toJson: (value) => (value === undefined || value === null ? null : JSON.stringify(value)),
    fromJson: <T>(value: unknown): T => {
      if (value === null || value === undefined) return null as T;
      // Only SQLite hands back text; on Postgres a jsonb string value is already a JS string.
      return (dialect === 'sqlite' && typeof value === 'string' ? JSON.parse(value) : value) as T;
    },
    bool: (value) => value === true || value === 1 || value === '1' || value === 't' || value === 'true',
    int: (value) => Number(value),
    intOrNull: (value) => (value === null || value === undefined ? null : Number(value)),
  };
}
