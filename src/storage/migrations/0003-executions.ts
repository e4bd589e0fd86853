import { type Knex } from 'knex';
import { enumColumn, idColumn, jsonColumn, timestampColumn } from './columns';

/**
 * The statuses this migration allows, written out rather than imported from src/shared/flow.ts:
 * a migration must create the same schema forever, so a status added later comes with a
 * migration of its own.
 */
const EXECUTION_STATUSES = [
  'pending',
  'running',
  'paused',
  'waiting',
  'completed',
  'failed',
  'cancelled',
  'terminated',
  'timed_out',
] as const;

/** The run index (a projection of Temporal state) and run logs. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('executions', (t) => {
    idColumn(t, 'id').primary();
    idColumn(t, 'flow_id').notNullable();
    t.integer('flow_version').notNullable();
    idColumn(t, 'owner_id').notNullable();
    enumColumn(t, 'status', EXECUTION_STATUSES).notNullable().defaultTo('pending');
    jsonColumn(knex, t, 'trigger').notNullable();
    jsonColumn(knex, t, 'input_data').nullable();
    jsonColumn(knex, t, 'output_data').nullable();
    jsonColumn(knex, t, 'error').nullable();
    t.string('temporal_workflow_id', 255).nullable();
    t.string('temporal_run_id', 255).nullable();
    t.string('idempotency_key', 255).nullable();
    idColumn(t, 'parent_execution_id').nullable();
    timestampColumn(t, 'started_at').nullable();
    timestampColumn(t, 'finished_at').nullable();
    t.bigInteger('execution_time_ms').nullable();
    timestampColumn(t, 'created_at').notNullable();
    timestampColumn(t, 'updated_at').notNullable();
    // NULL keys never collide (on both dialects), so only runs that carry a key are deduplicated.
    t.unique(['owner_id', 'idempotency_key']);
    t.index(['owner_id', 'created_at']);
    t.index(['flow_id', 'created_at']);
    t.index(['status']);
    t.index(['parent_execution_id']);
  });

  await knex.schema.createTable('execution_logs', (t) => {
    // The sequence keeps insertion order for lines written in the same millisecond.
    t.bigIncrements('seq');
    idColumn(t, 'id').notNullable().unique();
    idColumn(t, 'execution_id').notNullable();
    t.string('node_id', 255).nullable();
    t.string('node_type', 64).nullable();
    enumColumn(t, 'level', ['debug', 'info', 'warn', 'error']).notNullable();
    t.text('message').notNullable();
    jsonColumn(knex, t, 'data').nullable();
    t.bigInteger('duration_ms').nullable();
    timestampColumn(t, 'timestamp').notNullable();
    t.index(['execution_id', 'timestamp']);
  });
}

/** Drops what {@link up} created, children first. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('execution_logs');
  await knex.schema.dropTableIfExists('executions');
}
