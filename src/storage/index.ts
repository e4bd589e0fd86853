import { type Knex } from 'knex';
import { type ApiKeyRepo, createApiKeyRepo } from './repositories/api-keys';
import { type ApprovalLinkUseRepo, createApprovalLinkUseRepo } from './repositories/approval-link-uses';
import { type AuditLogRepo, createAuditLogRepo } from './repositories/audit-logs';
import { type RunStatsRepo, createRunStatsRepo } from './repositories/run-stats';
import { type CredentialRepo, createCredentialRepo } from './repositories/credentials';
import { type DataSourceRepo, createDataSourceRepo } from './repositories/data-sources';
import { type EventSeenRepo, createEventSeenRepo } from './repositories/events-seen';
import { type ExecutionEventRepo, createExecutionEventRepo } from './repositories/execution-events';
import { type ItemStepRepo, createItemStepRepo } from './repositories/execution-item-steps';
import { type LogRepo, createLogRepo } from './repositories/execution-logs';
import { type ExecutionRepo, createExecutionRepo } from './repositories/executions';
import { type FlowHookRepo, createFlowHookRepo } from './repositories/flow-hooks';
import { type FlowRepo, createFlowRepo } from './repositories/flows';
import { type NodeTestResultRepo, createNodeTestResultRepo } from './repositories/node-test-results';
import { type ToolRepo, createToolRepo } from './repositories/tools';
import { type PayloadBlobRepo, createPayloadBlobRepo } from './repositories/payload-blobs';
import { type PendingApprovalRepo, createPendingApprovalRepo } from './repositories/pending-approvals';
import { type SealedValueRepo, createSealedValueRepo } from './repositories/sealed-values';
import { type UserRepo, createUserRepo } from './repositories/users';
import { type WebhookDeliveryRepo, createWebhookDeliveryRepo } from './repositories/webhook-deliveries';
import { type WebhookRepo, createWebhookRepo } from './repositories/webhooks';

/** Every repository, sharing one database handle. */
export interface Repos {
  users: UserRepo;
  apiKeys: ApiKeyRepo;
  flows: FlowRepo;
  executions: ExecutionRepo;
  logs: LogRepo;
  events: ExecutionEventRepo;
  /** Steps of loop bodies' items. */
  itemSteps: ItemStepRepo;
  approvals: PendingApprovalRepo;
  credentials: CredentialRepo;
  eventsSeen: EventSeenRepo;
  webhooks: WebhookRepo;
  webhookDeliveries: WebhookDeliveryRepo;
  payloadBlobs: PayloadBlobRepo;
  approvalLinks: ApprovalLinkUseRepo;
  flowHooks: FlowHookRepo;
  tools: ToolRepo;
  dataSources: DataSourceRepo;
  /** Results of tests of stored flows' nodes. */
  nodeTests: NodeTestResultRepo;
  /** Every sealed column at once, for key rotation. */
  sealedValues: SealedValueRepo;
  /** The audit trail of state changes made through the API. */
  auditLogs: AuditLogRepo;
  /** Aggregates over the run index and node events (`/monitoring`). */
  runStats: RunStatsRepo;
}

/** Creates every repository over `db` (a knex instance from `createDb`, or a transaction). */
export function createRepos(db: Knex): Repos {
  return {
    users: createUserRepo(db),
    apiKeys: createApiKeyRepo(db),
    flows: createFlowRepo(db),
    executions: createExecutionRepo(db),
    logs: createLogRepo(db),
    events: createExecutionEventRepo(db),
    itemSteps: createItemStepRepo(db),
    approvals: createPendingApprovalRepo(db),
    credentials: createCredentialRepo(db),
    eventsSeen: createEventSeenRepo(db),
    webhooks: createWebhookRepo(db),
    webhookDeliveries: createWebhookDeliveryRepo(db),
    payloadBlobs: createPayloadBlobRepo(db),
    approvalLinks: createApprovalLinkUseRepo(db),
    flowHooks: createFlowHookRepo(db),
    tools: createToolRepo(db),
    dataSources: createDataSourceRepo(db),
    nodeTests: createNodeTestResultRepo(db),
    sealedValues: createSealedValueRepo(db),
    auditLogs: createAuditLogRepo(db),
    runStats: createRunStatsRepo(db),
  };
}

export * from './db';
export * from './errors';
export * from './time';
export { hashDefinition, canonicalJson } from './definition-hash';
export type { Page, PageOptions, OwnerScope } from './query-helpers';
export * from './repositories/api-keys';
export * from './repositories/approval-link-uses';
export * from './repositories/audit-logs';
export * from './repositories/run-stats';
export * from './repositories/credentials';
export * from './repositories/data-sources';
export * from './repositories/events-seen';
export * from './repositories/execution-events';
export * from './repositories/execution-item-steps';
export * from './repositories/execution-logs';
export * from './repositories/executions';
export * from './repositories/flow-hooks';
export * from './repositories/flows';
export * from './repositories/node-test-results';
export * from './repositories/tools';
export * from './repositories/payload-blobs';
export * from './repositories/pending-approvals';
export * from './repositories/sealed-values';
export * from './repositories/users';
export * from './repositories/webhook-deliveries';
export * from './repositories/webhooks';
