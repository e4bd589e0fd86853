import type { Request } from 'express';

/**
 * Where a value of an audit entry comes from: a path parameter (`param:id`), a top-level field of
 * the JSON answer (`response:id`), or a top-level field of the request body (`body:type`). Body
 * values are kept only when they look like an identifier (see `safeValue`), so no free text and no
 * secret a body may hold ever reaches the trail.
 */
export type AuditSource = `param:${string}` | `response:${string}` | `body:${string}`;

/** How one state-changing route is recorded. */
export interface AuditRule {
  /** `<resource>.<verb>`; a function when the body decides (a credential's data changed: a rotation). */
  action: string | ((req: Request) => string);
  /** The type of resource the entry names. */
  resource: string;
  /** Where the resource's id comes from. */
  id?: AuditSource;
  /** Other ids and names worth keeping, by the name they are shown under in `details`. */
  details?: Record<string, AuditSource>;
  /**
   * Who acts when no user is authenticated: `hook` (a flow's inbound webhook), `approval_link` (a
   * signed decision link), `new_user` (registration: the user the answer holds). Default: the user.
   */
  actor?: 'hook' | 'approval_link' | 'new_user';
}

const has = (req: Request, field: string) => typeof req.body === 'object' && req.body !== null && Object.hasOwn(req.body, field);

/**
 * Every route that changes state, by method and OpenAPI path, and how it is recorded; `null` marks
 * a non-GET route that changes nothing (it is not recorded). test/api/audit-logs.test.ts fails
 * when a non-GET route of the app is missing here; until it is added, such a route is still
 * recorded, as `<resource>.<method>` (see `fallbackRule`). docs/api-audit.md lists the actions.
 */
export const AUDIT_RULES: Readonly<Record<string, AuditRule | null>> = {
  'POST /api/v1/auth/register': { action: 'user.register', resource: 'user', id: 'response:id', actor: 'new_user' },
  // Signing in changes nothing (failed logins are throttled and logged, see docs/auth.md).
  'POST /api/v1/auth/login': null,
  'POST /api/v1/auth/api-keys': { action: 'api_key.create', resource: 'api_key', id: 'response:id' },
  'DELETE /api/v1/auth/api-keys/{id}': { action: 'api_key.revoke', resource: 'api_key', id: 'param:id' },

  'POST /api/v1/workflows': { action: 'workflow.create', resource: 'workflow', id: 'response:id', details: { version: 'response:version' } },
  // Validation reads the graph and answers; it saves nothing.
  'POST /api/v1/workflows/validate': null,
  'POST /api/v1/workflows/import': { action: 'workflow.import', resource: 'workflow', id: 'response:id', details: { version: 'response:version' } },
  'POST /api/v1/workflows/templates/{tid}/create': {
    action: 'workflow.create',
    resource: 'workflow',
    id: 'response:id',
    details: { template_id: 'param:tid', version: 'response:version' },
  },
  'PUT /api/v1/workflows/{id}': { action: 'workflow.update', resource: 'workflow', id: 'param:id', details: { version: 'response:version' } },
  'PATCH /api/v1/workflows/{id}': { action: 'workflow.update', resource: 'workflow', id: 'param:id', details: { version: 'response:version' } },
  'DELETE /api/v1/workflows/{id}': { action: 'workflow.delete', resource: 'workflow', id: 'param:id' },
  'POST /api/v1/workflows/{id}/versions/{v}/rollback': {
    action: 'workflow.rollback',
    resource: 'workflow',
    id: 'param:id',
    details: { to_version: 'param:v', version: 'response:version' },
  },
  'POST /api/v1/workflows/{id}/nodes': {
    action: 'workflow.node_add',
    resource: 'workflow',
    id: 'param:id',
    details: { node_id: 'body:id', version: 'response:version' },
  },
  'PATCH /api/v1/workflows/{id}/nodes/{node_id}': {
    action: 'workflow.node_update',
    resource: 'workflow',
    id: 'param:id',
    details: { node_id: 'param:node_id', version: 'response:version' },
  },
  'DELETE /api/v1/workflows/{id}/nodes/{node_id}': {
    action: 'workflow.node_delete',
    resource: 'workflow',
    id: 'param:id',
    details: { node_id: 'param:node_id', version: 'response:version' },
  },
  'POST /api/v1/workflows/{id}/execute': { action: 'workflow.execute', resource: 'workflow', id: 'param:id', details: { execution_id: 'response:id' } },
  'POST /api/v1/workflows/{id}/hook/rotate': { action: 'workflow.hook_rotate', resource: 'workflow', id: 'param:id' },
  'POST /api/v1/workflows/{id}/schedule/trigger': {
    action: 'workflow.schedule_trigger',
    resource: 'workflow',
    id: 'param:id',
    details: { execution_id: 'response:id' },
  },
  'POST /api/v1/workflows/{id}/schedule/backfill': { action: 'workflow.schedule_backfill', resource: 'workflow', id: 'param:id' },

  'POST /api/v1/executions': {
    action: 'workflow.execute',
    resource: 'workflow',
    id: 'response:workflow_id',
    details: { execution_id: 'response:id' },
  },
  'POST /api/v1/executions/{id}/pause': { action: 'execution.pause', resource: 'execution', id: 'param:id' },
  'POST /api/v1/executions/{id}/resume': { action: 'execution.resume', resource: 'execution', id: 'param:id' },
  'POST /api/v1/executions/{id}/cancel': { action: 'execution.cancel', resource: 'execution', id: 'param:id' },
  'POST /api/v1/executions/{id}/terminate': { action: 'execution.terminate', resource: 'execution', id: 'param:id' },
  'POST /api/v1/executions/{id}/retry': { action: 'execution.retry', resource: 'execution', id: 'param:id', details: { new_execution_id: 'response:id' } },
  'POST /api/v1/executions/{id}/events': { action: 'execution.event', resource: 'execution', id: 'param:id', details: { name: 'body:name' } },
  'POST /api/v1/executions/{id}/approvals/{node_id}': {
    action: 'execution.approval_decide',
    resource: 'execution',
    id: 'param:id',
    details: { node_id: 'param:node_id', decision: 'response:decision' },
  },
  'POST /api/v1/approvals/links/{token}': {
    action: 'execution.approval_decide',
    resource: 'execution',
    id: 'response:execution_id',
    details: { node_id: 'response:node_id', decision: 'response:decision' },
    actor: 'approval_link',
  },
  'POST /api/v1/events': { action: 'event.publish', resource: 'event', id: 'response:event_id', details: { type: 'body:type' } },
  'POST /hooks/{workflow_id}': {
    action: 'workflow.webhook_trigger',
    resource: 'workflow',
    id: 'param:workflow_id',
    details: { execution_id: 'response:execution_id' },
    actor: 'hook',
  },
  'POST /api/v1/nodes/test': { action: 'node.test', resource: 'node_type', id: 'body:type' },
  'POST /api/v1/workflows/{id}/nodes/{node_id}/test': {
    action: 'workflow.node_test',
    resource: 'workflow',
    id: 'param:id',
    details: { node_id: 'param:node_id', test_id: 'response:id', success: 'response:success' },
  },

  'POST /api/v1/webhooks': { action: 'webhook.create', resource: 'webhook', id: 'response:id' },
  'PATCH /api/v1/webhooks/{id}': {
    action: (req) => (has(req, 'secret') ? 'webhook.secret_rotate' : 'webhook.update'),
    resource: 'webhook',
    id: 'param:id',
  },
  'DELETE /api/v1/webhooks/{id}': { action: 'webhook.delete', resource: 'webhook', id: 'param:id' },

  'POST /api/v1/credentials': { action: 'credential.create', resource: 'credential', id: 'response:id', details: { type: 'response:type' } },
  'PATCH /api/v1/credentials/{id}': {
    action: (req) => (has(req, 'data') ? 'credential.rotate' : 'credential.update'),
    resource: 'credential',
    id: 'param:id',
  },
  'DELETE /api/v1/credentials/{id}': { action: 'credential.delete', resource: 'credential', id: 'param:id' },

  'POST /api/v1/data-sources': { action: 'data_source.create', resource: 'data_source', id: 'response:id', details: { type: 'response:type' } },
  'PUT /api/v1/data-sources/{id}': { action: 'data_source.update', resource: 'data_source', id: 'param:id' },
  'PATCH /api/v1/data-sources/{id}': { action: 'data_source.update', resource: 'data_source', id: 'param:id' },
  'DELETE /api/v1/data-sources/{id}': { action: 'data_source.delete', resource: 'data_source', id: 'param:id' },
  'POST /api/v1/data-sources/{id}/test': { action: 'data_source.test', resource: 'data_source', id: 'param:id', details: { status: 'response:status' } },
  'POST /api/v1/data-sources/{id}/query': { action: 'data_source.query', resource: 'data_source', id: 'param:id' },

  'POST /api/v1/tools': { action: 'tool.create', resource: 'tool', id: 'response:id', details: { name: 'response:name' } },
  'PUT /api/v1/tools/{id}': { action: 'tool.update', resource: 'tool', id: 'param:id', details: { name: 'response:name' } },
  'DELETE /api/v1/tools/{id}': { action: 'tool.delete', resource: 'tool', id: 'param:id' },
  'POST /api/v1/tools/{id}/test': { action: 'tool.test', resource: 'tool', id: 'param:id', details: { success: 'response:success' } },

  'POST /api/v1/batch/execute': {
    action: 'batch.execute',
    resource: 'batch',
    details: { total: 'response:total', succeeded: 'response:succeeded', failed: 'response:failed' },
  },
  'POST /api/v1/batch/delete': {
    action: 'batch.delete',
    resource: 'batch',
    details: { total: 'response:total', succeeded: 'response:succeeded', failed: 'response:failed' },
  },
  // Exports read flows; like GET /workflows/{id}/export they change nothing.
  'POST /api/v1/batch/export': null,
};

/**
 * The rule of a route missing from {@link AUDIT_RULES}: still recorded, as `<resource>.<method>`,
 * the resource named after the path's first segment (`/api/v1/widgets/{id}` → `widget.post`) and
 * its id taken from `{id}` when the path has one.
 */
export function fallbackRule(method: string, path: string): AuditRule {
  const segment = path.replace(/^\/api\/v1\//, '/').split('/').find((s) => s && !s.startsWith('{')) ?? 'api';
  const resource = segment.replace(/-/g, '_').replace(/s$/, '') || 'api';
  return { action: `${resource}.${method.toLowerCase()}`, resource, ...(path.includes('{id}') ? { id: 'param:id' as const } : {}) };
}
