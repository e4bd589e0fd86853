import { auditOperations } from './audit-operations';
import { authOperations } from './auth-operations';
import { batchOperations } from './batch-operations';
import { monitoringOperations } from './monitoring-operations';
import { dataSourceOperations } from './data-source-operations';
import { credentialOperations } from './credential-operations';
import { executionOperations } from './execution-operations';
import { flowNodeOperations } from './flow-node-operations';
import type { OperationDoc } from './operation-doc';
import { scheduleOperations } from './schedule-operations';
import { toolOperations } from './tool-operations';
import { systemOperations } from './system-operations';
import { webhookOperations } from './webhook-operations';
import { triggerOperations } from './trigger-operations';
import { workflowOperations } from './workflow-operations';

/** Every documented operation. A route without an entry here fails test/api/openapi.test.ts. */
export const API_OPERATIONS: readonly OperationDoc[] = [
  ...systemOperations,
  ...authOperations,
  ...workflowOperations,
  ...executionOperations,
  ...flowNodeOperations,
  ...scheduleOperations,
  ...webhookOperations,
  ...triggerOperations,
  ...toolOperations,
  ...dataSourceOperations,
  ...credentialOperations,
  ...batchOperations,
  ...auditOperations,
  ...monitoringOperations,
];
