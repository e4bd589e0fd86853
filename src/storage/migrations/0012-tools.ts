import { type Knex } from 'knex';
import { idColumn, jsonColumn, timestampColumn } from './columns';

/**
 * User-defined tools (`/api/v1/tools`): an owner's HTTP tools that `tool-call` nodes and agents
 * call by name, so a name is unique per owner. `input_schema` is the JSON Schema of a call's
 * input; `http` says how it is called ({method, url, headers, credential, timeout_ms}). A tool
 * names a credential, never holds one.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tools', (t) => {
    idColumn(t, 'id').primary();
    idColumn(t, 'owner_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('name', 64).notNullable();
    t.text('description').notNullable();
    jsonColumn(knex, t, 'input_schema').notNullable();
    jsonColumn(knex, t, 'http').notNullable();
    timestampColumn(t, 'created_at').notNullable();
    timestampColumn(t, 'updated_at').notNullable();
    t.unique(['owner_id', 'name']);
    t.index(['owner_id', 'created_at']);
  });
}

/** Drops what {@link up} created. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('tools');
}
