import { type Knex } from 'knex';
import { idColumn, jsonColumn, timestampColumn } from './columns';

/** Encrypted credentials, event deduplication and outbound webhooks with their delivery log. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('credentials', (t) => {
    idColumn(t, 'id').primary();
    idColumn(t, 'owner_id').notNullable();
    t.string('name', 255).notNullable();
    t.string('type', 64).notNullable();
    t.text('encrypted_data').notNullable();
    timestampColumn(t, 'created_at').notNullable();
    timestampColumn(t, 'updated_at').notNullable();
    t.unique(['owner_id', 'name']);
  });

  await knex.schema.createTable('events_seen', (t) => {
    idColumn(t, 'id').primary();
    idColumn(t, 'owner_id').notNullable();
    t.string('event_type', 255).notNullable();
    t.string('event_key', 255).notNullable();
    jsonColumn(knex, t, 'execution_ids').notNullable();
    timestampColumn(t, 'created_at').notNullable();
    t.unique(['owner_id', 'event_key']);
    t.index(['created_at']);
  });

  await knex.schema.createTable('webhooks', (t) => {
    idColumn(t, 'id').primary();
    idColumn(t, 'owner_id').notNullable();
    t.text('url').notNullable();
    jsonColumn(knex, t, 'events').notNullable();
    t.text('secret_encrypted').nullable();
    t.boolean('active').notNullable().defaultTo(true);
    timestampColumn(t, 'created_at').notNullable();
    timestampColumn(t, 'updated_at').notNullable();
    t.index(['owner_id', 'created_at']);
  });

  await knex.schema.createTable('webhook_deliveries', (t) => {
    idColumn(t, 'id').primary();
    idColumn(t, 'webhook_id').notNullable().references('id').inTable('webhooks').onDelete('CASCADE');
    t.string('event', 255).notNullable();
    t.integer('status_code').nullable();
    t.boolean('success').notNullable();
    t.integer('attempt').notNullable().defaultTo(1);
    t.text('error').nullable();
    timestampColumn(t, 'created_at').notNullable();
    t.index(['webhook_id', 'created_at']);
  });
}

/** Drops what {@link up} created, children first. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('webhook_deliveries');
  await knex.schema.dropTableIfExists('webhooks');
  await knex.schema.dropTableIfExists('events_seen');
  await knex.schema.dropTableIfExists('credentials');
}
