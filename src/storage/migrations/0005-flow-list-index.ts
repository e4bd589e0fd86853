import { type Knex } from 'knex';

/**
 * The flow list's default order is `updated_at desc, id desc` per owner. With `id` in the index
 * the database reads the first page straight from it instead of sorting each run of equal
 * timestamps (SQLite: "USE TEMP B-TREE FOR LAST TERM OF ORDER BY").
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('flows', (t) => {
    t.index(['owner_id', 'updated_at', 'id'], 'flows_owner_updated_id_index');
    t.dropIndex(['owner_id', 'updated_at']);
  });
}

/** Restores the two-column index. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('flows', (t) => {
    t.index(['owner_id', 'updated_at']);
    t.dropIndex(['owner_id', 'updated_at', 'id'], 'flows_owner_updated_id_index');
  });
}
