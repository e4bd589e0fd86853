import { type Knex } from 'knex';
import { idColumn, jsonColumn, timestampColumn } from './columns';

/**
 * What runs write about themselves: the live event log (node and run transitions), tailed by the
 * API's live streams, and the approvals they wait for (listed by `GET /approvals` without asking
 * Temporal about every run); and `checked_at` on the run index, so the reconciler visits every
 * unfinished run in turn instead of the oldest hundred again and again.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('execution_events', (t) => {
    // The stream position: events of a run are read in this order, and resumed after an id.
    t.bigIncrements('id');
    idColumn(t, 'execution_id').notNullable();
    /** `<temporal run id>:<sequence>`: the same transition reported twice is stored once. */
    t.string('event_key', 128).notNullable().unique();
    t.string('type', 32).notNullable();
    t.string('node_id', 255).nullable();
    jsonColumn(knex, t, 'data').notNullable();
    /** Workflow time of the transition. */
    timestampColumn(t, 'at').notNullable();
    /** When the index learned of it. */
    timestampColumn(t, 'created_at').notNullable();
    t.index(['execution_id', 'id']);
  });
  await knex.schema.createTable('pending_approvals', (t) => {
    /** `<execution id>:<scope><node id>` (the scope tells loop items apart). */
    t.string('key', 400).primary();
    idColumn(t, 'execution_id').notNullable();
    idColumn(t, 'flow_id').notNullable();
    t.integer('flow_version').notNullable();
    idColumn(t, 'owner_id').notNullable();
    t.string('node_id', 255).notNullable();
    t.string('scope', 255).notNullable().defaultTo('');
    t.text('title').nullable();
    t.text('instructions').nullable();
    /** The rendered approvers (usernames or user ids); empty: the run's owner. */
    jsonColumn(knex, t, 'approvers').notNullable();
    timestampColumn(t, 'requested_at').notNullable();
    t.index(['execution_id']);
    t.index(['owner_id', 'requested_at']);
  });
  await knex.schema.createTable('pending_approval_approvers', (t) => {
    t.string('approval_key', 400).notNullable().references('key').inTable('pending_approvals').onDelete('CASCADE');
    /** A username (lower-cased) or a user id. */
    t.string('approver', 255).notNullable();
    t.primary(['approval_key', 'approver']);
    t.index(['approver']);
  });
  await knex.schema.alterTable('executions', (t) => {
    timestampColumn(t, 'checked_at').nullable();
    t.index(['status', 'checked_at']);
  });
}

/** Drops what {@link up} added. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('executions', (t) => {
    t.dropIndex(['status', 'checked_at']);
    t.dropColumn('checked_at');
  });
  await knex.schema.dropTableIfExists('pending_approval_approvers');
  await knex.schema.dropTableIfExists('pending_approvals');
  await knex.schema.dropTableIfExists('execution_events');
}
