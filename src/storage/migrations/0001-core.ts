import { type Knex } from 'knex';
import { enumColumn, idColumn, jsonColumn, timestampColumn } from './columns';

/** Users and their API keys. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    idColumn(t, 'id').primary();
    t.string('username', 64).notNullable().unique();
    t.string('email', 255).notNullable().unique();
    t.text('password_hash').notNullable();
    enumColumn(t, 'role', ['user', 'admin']).notNullable().defaultTo('user');
    timestampColumn(t, 'created_at').notNullable();
    timestampColumn(t, 'updated_at').notNullable();
  });

  await knex.schema.createTable('api_keys', (t) => {
    idColumn(t, 'id').primary();
    idColumn(t, 'owner_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('name', 255).notNullable();
    t.string('prefix', 32).notNullable();
    t.string('key_hash', 64).notNullable().unique();
    jsonColumn(knex, t, 'scopes').notNullable();
    timestampColumn(t, 'created_at').notNullable();
    timestampColumn(t, 'last_used_at').nullable();
    timestampColumn(t, 'revoked_at').nullable();
    timestampColumn(t, 'expires_at').nullable();
    t.index(['owner_id', 'created_at']);
  });
}

/** Drops what {@link up} created, children first. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('api_keys');
  await knex.schema.dropTableIfExists('users');
}
