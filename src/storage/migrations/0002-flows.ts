import { type Knex } from 'knex';
import { enumColumn, idColumn, jsonColumn, timestampColumn } from './columns';

/** Flows (head state) and their immutable version snapshots. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('flows', (t) => {
    idColumn(t, 'id').primary();
    idColumn(t, 'owner_id').notNullable();
    t.string('name', 255).notNullable();
    t.text('description').notNullable().defaultTo('');
    enumColumn(t, 'status', ['draft', 'published', 'archived']).notNullable().defaultTo('draft');
    t.boolean('enabled').notNullable().defaultTo(true);
    jsonColumn(knex, t, 'trigger').notNullable();
    jsonColumn(knex, t, 'nodes').notNullable();
    jsonColumn(knex, t, 'edges').notNullable();
    jsonColumn(knex, t, 'settings').notNullable();
    t.integer('version').notNullable().defaultTo(1);
    timestampColumn(t, 'created_at').notNullable();
    timestampColumn(t, 'updated_at').notNullable();
    timestampColumn(t, 'deleted_at').nullable();
    t.index(['owner_id', 'updated_at']);
    t.index(['owner_id', 'created_at']);
  });

  await knex.schema.createTable('flow_versions', (t) => {
    idColumn(t, 'id').primary();
    idColumn(t, 'flow_id').notNullable().references('id').inTable('flows').onDelete('CASCADE');
    t.integer('version').notNullable();
    jsonColumn(knex, t, 'definition').notNullable();
    t.string('definition_hash', 64).notNullable();
    idColumn(t, 'author_id').nullable();
    t.text('comment').nullable();
    timestampColumn(t, 'created_at').notNullable();
    t.unique(['flow_id', 'version']);
  });
}

/** Drops what {@link up} created, children first. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('flow_versions');
  await knex.schema.dropTableIfExists('flows');
}
