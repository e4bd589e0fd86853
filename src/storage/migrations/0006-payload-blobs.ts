import { type Knex } from 'knex';
import { timestampColumn } from './columns';

/**
 * Large Temporal payloads kept out of workflow history (the claim-check codec): content-addressed
 * by the SHA-256 of metadata and bytes, so the same value stored twice is one row.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('payload_blobs', (t) => {
    t.string('sha256', 64).primary();
    /** The payload's metadata as JSON: `{key: base64 value}`. */
    t.text('metadata').notNullable();
    t.binary('data').notNullable();
    t.integer('size').notNullable();
    timestampColumn(t, 'created_at').notNullable();
  });
}

/** Drops the table. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('payload_blobs');
}
