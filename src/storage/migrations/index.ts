import { type Knex } from 'knex';
import * as core from './0001-core';
import * as flows from './0002-flows';
import * as executions from './0003-executions';
import * as integrations from './0004-credentials-events-webhooks';
import * as flowListIndex from './0005-flow-list-index';
import * as payloadBlobs from './0006-payload-blobs';
import * as executionEvents from './0007-execution-events';
import * as flowHooks from './0008-flow-hooks';
import * as webhookDeliveriesLinks from './0009-webhook-deliveries-links';
import * as dataSources from './0011-data-sources';
import * as tools from './0012-tools';
import * as auditLogs from './0013-audit-logs';
import * as nodeTestResults from './0014-node-test-results';
import * as loopItemSteps from './0015-loop-item-steps';

/** A migration and the name it is recorded under in `knex_migrations`. */
export interface NamedMigration extends Knex.Migration {
  name: string;
}

/** Every migration, oldest first. A new migration is a new file plus one line here. */
export const migrations: readonly NamedMigration[] = [
  { name: '0001-core', ...core },
  { name: '0002-flows', ...flows },
  { name: '0003-executions', ...executions },
  { name: '0004-credentials-events-webhooks', ...integrations },
  { name: '0005-flow-list-index', ...flowListIndex },
  { name: '0006-payload-blobs', ...payloadBlobs },
  { name: '0007-execution-events', ...executionEvents },
  { name: '0008-flow-hooks', ...flowHooks },
  { name: '0009-webhook-deliveries-links', ...webhookDeliveriesLinks },
  { name: '0011-data-sources', ...dataSources },
  { name: '0012-tools', ...tools },
  { name: '0013-audit-logs', ...auditLogs },
  { name: '0014-node-test-results', ...nodeTestResults },
  { name: '0015-loop-item-steps', ...loopItemSteps },
];

/**
 * Lists the migrations in code instead of globbing a directory, so they run the same under tsx
 * (`.ts`) and from the compiled `dist/` (`.js`).
 */
export const migrationSource: Knex.MigrationSource<NamedMigration> = {
  getMigrations: async () => [...migrations],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => migration,
};
