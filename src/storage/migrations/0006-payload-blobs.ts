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
    /** Last time a payload with these bytes was stored again (the codec's writes touch it). */
    timestampColumn(t, 'last_used_at').notNullable();
    t.index(['last_used_at']);
  });
  // The payload collector looks for the oldest run finished within the retention period.
  await knex.schema.alterTable('executions', (t) => t.index(['finished_at']));
}

/** Drops the table and the index. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('executions', (t) => t.dropIndex(['finished_at']));
  await knex.schema.dropTableIfExists('payload_blobs');
}
