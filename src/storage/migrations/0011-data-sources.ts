import { type Knex } from 'knex';
import { enumColumn, idColumn, jsonColumn, timestampColumn } from './columns';

/**
 * Data sources (docs/data-sources.md): a database, an HTTP API or an inline JSON document a user
 * can query from the API and from `sql` nodes. `config` holds the settings that are not secret;
 * passwords and API headers are sealed by the secret box in `secrets_encrypted`. `status` is what
 * the last connection test found (`unknown` until one ran, and again after the settings change).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('data_sources', (t) => {
    idColumn(t, 'id').primary();
    idColumn(t, 'owner_id').notNullable();
    t.string('name', 255).notNullable();
    enumColumn(t, 'type', ['postgresql', 'mysql', 'sqlite', 'api', 'json']).notNullable();
    t.text('description').nullable();
    jsonColumn(knex, t, 'config').notNullable();
    t.text('secrets_encrypted').nullable();
    t.boolean('read_only').notNullable().defaultTo(true);
    enumColumn(t, 'status', ['unknown', 'active', 'error']).notNullable().defaultTo('unknown');
    t.text('status_message').nullable();
    timestampColumn(t, 'tested_at').nullable();
    timestampColumn(t, 'created_at').notNullable();
    timestampColumn(t, 'updated_at').notNullable();
    t.unique(['owner_id', 'name']);
    t.index(['owner_id', 'type', 'status']);
  });
}

/** Drops what {@link up} created. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('data_sources');
}
