import { type Knex } from 'knex';
import { idColumn, jsonColumn, timestampColumn } from './columns';

/**
 * The audit trail (`GET /api/v1/audit-logs`): one row per state change made through the API —
 * who (a user, a flow's inbound webhook, an approval decision link), what (`action`, and the
 * resource's type and id), when, and how (method, route pattern, status, request id, address).
 * No foreign keys: an entry outlives the user and the resource it names. `owner_id` is the user
 * whose trail the entry belongs to (the actor, or the owner of the resource when no user acted).
 * `details` holds only ids and names chosen by the recorder, never a request body.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_logs', (t) => {
    // The sequence orders entries written in the same millisecond (lists are newest first by it).
    t.bigIncrements('seq');
    idColumn(t, 'id').notNullable().unique();
    timestampColumn(t, 'created_at').notNullable();
    idColumn(t, 'actor_id').nullable();
    t.string('actor_type', 32).notNullable();
    t.string('actor_name', 255).nullable();
    t.string('via', 16).nullable();
    idColumn(t, 'api_key_id').nullable();
    idColumn(t, 'owner_id').nullable();
    t.string('action', 64).notNullable();
    t.string('resource_type', 32).notNullable();
    t.string('resource_id', 255).nullable();
    t.string('method', 8).notNullable();
    t.string('route', 255).notNullable();
    t.integer('status_code').notNullable();
    t.string('request_id', 64).nullable();
    t.string('ip', 64).nullable();
    jsonColumn(knex, t, 'details').nullable();
    t.index(['created_at']);
    t.index(['owner_id', 'seq']);
    t.index(['actor_id', 'seq']);
    t.index(['resource_type', 'resource_id']);
    t.index(['action', 'seq']);
  });
}

/** Drops what {@link up} created. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('audit_logs');
}
