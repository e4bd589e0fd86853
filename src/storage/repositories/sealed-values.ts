import { type Knex } from 'knex';

/** A column holding values sealed by the secret box, and the column that identifies its rows. */
export interface SealedColumn {
  table: string;
  key: string;
  column: string;
}

/**
 * Every column of the schema that holds sealed values. A key rotation (`npm run rotate-secrets`,
 * docs/credentials.md) re-seals what they hold, so a table that gains a sealed column adds a line here.
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'credentials', key: 'id', column: 'encrypted_data' },
  { table: 'flow_hooks', key: 'flow_id', column: 'secret_encrypted' },
  { table: 'webhooks', key: 'id', column: 'secret_encrypted' },
  // Data sources' passwords and API headers (migration 0011; skipped where it has not run).
  { table: 'data_sources', key: 'id', column: 'secrets_encrypted' },
];

/** One sealed value and the key of its row. */
export interface SealedValue {
  key: string;
  value: string;
}

/** Sealed values read and replaced column by column, whatever table they live in (key rotation). */
export interface SealedValueRepo {
  /** Whether the column's table exists (one added by a later migration may not yet). */
  exists(col: SealedColumn): Promise<boolean>;
  /** Up to `limit` values (nulls left out) of rows whose key sorts after `after`, in key order. */
  page(col: SealedColumn, after: string | undefined, limit: number): Promise<SealedValue[]>;
  /**
   * Puts `value` in place of `expected` in row `key`; false when the row holds something else by
   * now (written meanwhile, under the current key) or is gone. Other columns (`updated_at`) are left alone.
   */
  replace(col: SealedColumn, key: string, expected: string, value: string): Promise<boolean>;
}

/** The sealed value repository over `db`. */
export function createSealedValueRepo(db: Knex): SealedValueRepo {
  return {
    exists(col) {
      return db.schema.hasTable(col.table);
    },

    async page(col, after, limit) {
      const q = db(col.table).select({ key: col.key, value: col.column }).whereNotNull(col.column);
      if (after !== undefined) q.andWhere(col.key, '>', after);
      const rows = await q.orderBy(col.key, 'asc').limit(limit);
      return rows as SealedValue[];
    },

    async replace(col, key, expected, value) {
      const n = await db(col.table)
        .where({ [col.key]: key, [col.column]: expected })
        .update({ [col.column]: value });
      return n > 0;
    },
  };
}
