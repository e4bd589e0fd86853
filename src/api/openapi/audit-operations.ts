import { auditFilterQuery, auditListQuery } from '../routes/audit-logs';
import type { OperationDoc } from './operation-doc';
import { page } from './schemas';
import { z } from './zod';

const timestamp = z.string().datetime({ offset: true });

const auditEntry = z
  .object({
    id: z.string().uuid(),
    created_at: timestamp,
    actor_id: z.string().uuid().nullable().openapi({ description: 'the user who acted; null for a webhook or an approval link' }),
    actor_type: z.enum(['user', 'hook', 'approval_link']),
    actor_name: z.string().nullable().openapi({ description: "the user's name when they acted" }),
    via: z.enum(['jwt', 'api_key']).nullable(),
    api_key_id: z.string().uuid().nullable(),
    owner_id: z.string().uuid().nullable().openapi({ description: 'whose trail holds the entry: the actor, or the owner of the flow or run when no user (or an admin) acted' }),
    action: z.string().openapi({ example: 'workflow.update' }),
    resource_type: z.string().openapi({ example: 'workflow' }),
    resource_id: z.string().nullable(),
    method: z.string(),
    route: z.string().openapi({ description: 'the route pattern, e.g. `/api/v1/workflows/{id}`', example: '/api/v1/workflows/{id}' }),
    status_code: z.number().int(),
    request_id: z.string().nullable().openapi({ description: "the answer's `X-Request-Id`" }),
    ip: z.string().nullable(),
    details: z
      .record(z.unknown())
      .nullable()
      .openapi({ description: 'ids and names the action adds (execution_id, node_id, decision, version…); never a request body or a secret' }),
  })
  .openapi('AuditLogEntry');

const auditStats = z
  .object({
    total: z.number().int(),
    by_action: z.array(z.object({ action: z.string(), count: z.number().int() })),
    by_day: z.array(z.object({ date: z.string().openapi({ example: '2025-01-31' }), count: z.number().int() })),
  })
  .openapi('AuditLogStats');

/** `/api/v1/audit-logs` (docs/api-audit.md). */
export const auditOperations: OperationDoc[] = [
  {
    method: 'get',
    path: '/api/v1/audit-logs',
    tag: 'audit',
    summary: 'Who changed what and when (newest first)',
    description:
      'Every successful state change made through the API is recorded: creations, changes, deletions, runs, approvals, rotations of hook secrets, ' +
      "credentials and API keys. A user sees their own trail (what they did, and what webhooks, approval links and admins did to their flows and runs); an admin (with the `admin` scope) sees everyone's. " +
      '400 for `since` after `until`.',
    query: auditListQuery,
    responses: { 200: { description: 'a page of entries', schema: page(auditEntry, 'AuditLogPage') } },
  },
  {
    method: 'get',
    path: '/api/v1/audit-logs/stats',
    tag: 'audit',
    summary: 'Counts of audit entries by action and by day',
    description: 'Over the same entries, and with the same filters, as `GET /audit-logs`.',
    query: auditFilterQuery,
    responses: { 200: { description: 'the counts', schema: auditStats } },
  },
];
