import { type Knex } from 'knex';
import { idColumn, jsonColumn, timestampColumn } from './columns';

/**
 * Outbound webhooks as the API serves them: a subscription may be limited to one flow
 * (`workflow_id`); a delivery is one event for one subscription, retried in place (`status`,
 * the attempt count in `attempt`, the last answer in `status_code` and `error`), with the body it
 * sends every time (`payload`) and whether its delivery workflow was started (`dispatched_at`).
 * And the approval decision links that were used, so each works once.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhooks', (t) => {
    idColumn(t, 'workflow_id').nullable();
  });
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.string('status', 16).notNullable().defaultTo('pending');
    idColumn(t, 'execution_id').nullable();
    jsonColumn(knex, t, 'payload').nullable();
    timestampColumn(t, 'delivered_at').nullable();
    timestampColumn(t, 'dispatched_at').nullable();
    timestampColumn(t, 'updated_at').nullable();
    t.index(['status', 'dispatched_at']);
  });
  // Rows written before this migration were one row per attempt: their outcome is their status.
  await knex('webhook_deliveries').where({ success: true }).update({ status: 'delivered' });
  await knex('webhook_deliveries').where({ success: false }).update({ status: 'failed' });
  await knex.schema.createTable('approval_link_uses', (t) => {
    idColumn(t, 'link_id').primary();
    idColumn(t, 'execution_id').notNullable();
    t.string('node_id', 255).notNullable();
    t.string('decision', 16).notNullable();
    timestampColumn(t, 'used_at').notNullable();
    t.index(['execution_id']);
  });
}

/** Drops what {@link up} added. */
export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('approval_link_uses');
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.dropIndex(['status', 'dispatched_at']);
    for (const c of ['status', 'execution_id', 'payload', 'delivered_at', 'dispatched_at', 'updated_at']) t.dropColumn(c);
  });
  await knex.schema.alterTable('webhooks', (t) => {
    t.dropColumn('workflow_id');
  });
}
