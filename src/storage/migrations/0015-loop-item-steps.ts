import { type Knex } from 'knex';
import { enumColumn, idColumn, jsonColumn, timestampColumn } from './columns';

const STEP_STATUSES = ['pending', 'running', 'waiting', 'completed', 'failed', 'skipped'];

/**
 * Loop items in the run detail: `execution_item_steps` holds the last known state of every step
 * that ran inside a loop body, one row per item and body node (its scope key tells items and
 * nested loops apart), written by the workers from the transitions runs report, so the API pages
 * through the items of a 10,000-item loop without asking Temporal for every batch. Log lines get
 * the same place (`scope`, `loop_node_id`, `item_index`; null outside loop bodies).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('execution_item_steps', (t) => {
    // First-report order: the order in which the steps of one item started.
    t.bigIncrements('seq');
    idColumn(t, 'execution_id').notNullable();
    /** `<loop node>/<item>/`, nested loops outermost first. */
    t.string('scope', 400).notNullable();
    t.string('node_id', 255).notNullable();
    t.string('node_type', 64).notNullable();
    t.text('label').nullable();
    t.string('loop_node_id', 255).notNullable();
    t.integer('item_index').notNullable();
    /** The `runLoopBatch` child that ran the item (number and workflow id); null for inline loops. */
    t.integer('batch').nullable();
    t.string('batch_workflow_id', 600).nullable();
    enumColumn(t, 'status', STEP_STATUSES).notNullable();
    t.integer('attempt').notNullable().defaultTo(0);
    /** Only outputs the run reported (under 16 KB of JSON); null otherwise. */
    jsonColumn(knex, t, 'output').nullable();
    jsonColumn(knex, t, 'error').nullable();
    t.string('port', 255).nullable();
    timestampColumn(t, 'started_at').nullable();
    timestampColumn(t, 'finished_at').nullable();
    t.bigInteger('duration_ms').nullable();
    t.unique(['execution_id', 'scope', 'node_id']);
    t.index(['execution_id', 'loop_node_id', 'item_index']);
    t.index(['execution_id', 'status']);
  });
  await knex.schema.alterTable('execution_logs', (t) => {
    t.string('scope', 400).nullable();
    t.string('loop_node_id', 255).nullable();
    t.integer('item_index').nullable();
    t.index(['execution_id', 'item_index']);
  });
}

/** Drops what {@link up} added. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('execution_logs', (t) => {
    t.dropIndex(['execution_id', 'item_index']);
    t.dropColumn('item_index');
    t.dropColumn('loop_node_id');
    t.dropColumn('scope');
  });
  await knex.schema.dropTableIfExists('execution_item_steps');
}
