import { type Knex } from 'knex';
import { idColumn, jsonColumn, timestampColumn } from './columns';

/**
 * Results of tests of a stored flow's node (`POST /workflows/{id}/nodes/{node_id}/test`, seed
 * 003's "execute and save node"): what the node was given (`form_values` over its data, its
 * input) and what it answered, so `GET …/nodes/{node_id}/output` can show the newest of a test
 * and the flow's runs. Only the last few results of each node are kept.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('node_test_results', (t) => {
    idColumn(t, 'id').primary();
    idColumn(t, 'flow_id').notNullable().references('id').inTable('flows').onDelete('CASCADE');
    t.string('node_id', 64).notNullable();
    t.string('node_type', 100).notNullable();
    t.integer('flow_version').notNullable();
    /** The flow's owner (whose credentials the node used). */
    idColumn(t, 'owner_id').notNullable();
    /** Who ran the test (the owner, or an admin). */
    idColumn(t, 'user_id').notNullable();
    t.string('session_id', 200).nullable();
    jsonColumn(knex, t, 'form_values').notNullable();
    /** What reached the node: its upstream output, or the run input for a node without parents. */
    jsonColumn(knex, t, 'input_data').nullable();
    /** The node's data as rendered for the test (a step's `input`). */
    jsonColumn(knex, t, 'rendered_input').nullable();
    jsonColumn(knex, t, 'output').nullable();
    jsonColumn(knex, t, 'error').nullable();
    t.boolean('success').notNullable();
    t.string('port', 100).nullable();
    t.integer('attempt').notNullable();
    t.integer('duration_ms').notNullable();
    t.string('temporal_workflow_id', 255).notNullable();
    t.string('temporal_run_id', 64).notNullable();
    timestampColumn(t, 'created_at').notNullable();
    t.index(['flow_id', 'node_id', 'created_at']);
  });
}

/** Drops what {@link up} created. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('node_test_results');
}
