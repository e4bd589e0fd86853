import { type Knex } from 'knex';
import { enumColumn, idColumn, timestampColumn } from './columns';

/**
 * The credentials of flows that start by inbound webhook (`POST /hooks/{flow id}`): one row per
 * flow, holding only the SHA-256 of a bearer token or the signing secret sealed by the secret box,
 * never a usable secret in clear.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('flow_hooks', (t) => {
    idColumn(t, 'flow_id').primary().references('id').inTable('flows').onDelete('CASCADE');
    idColumn(t, 'owner_id').notNullable();
    enumColumn(t, 'auth', ['token', 'hmac']).notNullable();
    /** `auth: token`: hex SHA-256 of the token. */
    t.string('token_hash', 64).nullable();
    /** `auth: hmac`: the signing secret, sealed (`v1.<key id>.…`). */
    t.text('secret_encrypted').nullable();
    timestampColumn(t, 'created_at').notNullable();
    /** When the current token or secret was issued (creation or the last rotation). */
    timestampColumn(t, 'issued_at').notNullable();
  });
}

/** Drops what {@link up} created. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('flow_hooks');
}
