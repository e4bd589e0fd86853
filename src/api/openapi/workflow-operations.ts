import { importSchema, nodeAddSchema, nodePatchSchema } from '../schemas/flow-bodies';
import { EXPORT_FORMATS, exportQuery } from '../schemas/export-query';
import { FLOW_LIST_STATUSES } from '../schemas/flow-list-query';
import type { OperationDoc } from './operation-doc';
import {
  EXECUTION_STATUSES,
  execution,
  executionPage,
  flow,
  flowEdge,
  flowInput,
  flowNode,
  flowPatch,
  flowSummary,
  json,
  page,
  trigger,
  pageQuery,
  validationResult,
  versionSnapshot,
  versionSummary,
} from './schemas';
import { z } from './zod';

const flowId = z.object({ id: z.string().uuid() });

const exampleFlow = {
  name: 'hello',
  description: 'greets',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'greet', type: 'noop', data: { value: 'Hello, {{ input.name }}' } },
    { id: 'end', type: 'end', data: { output: { greeting: '{{ greet.result }}' } } },
  ],
  edges: [
    { source: 'start', target: 'greet' },
    { source: 'greet', target: 'end' },
  ],
};

const executeBody = z.object({
  input_data: json.optional(),
  version: z.number().int().min(1).max(2_147_483_647).optional().openapi({ description: 'default: the head version' }),
  wait: z.boolean().default(false).openapi({ description: 'answer when the run has finished (200) or after `timeout_ms` (202)' }),
  timeout_ms: z.number().int().min(1).max(300_000).default(30_000),
});

const nodeId = flowId.extend({ node_id: z.string() });
const versionParams = flowId.extend({ v: z.coerce.number().int().min(1) });

const flowExport = z
  .object({
    workflow: z.object({
      name: z.string(),
      description: z.string(),
      status: z.enum(['draft', 'published', 'archived']),
      enabled: z.boolean(),
      trigger,
      settings: z.record(z.unknown()),
      nodes: z.array(flowNode),
      edges: z.array(flowEdge),
      version: z.number().int().openapi({ description: 'the version exported (an import starts at version 1)' }),
    }),
    exported_at: z.string().datetime({ offset: true }),
    format_version: z.number().int(),
  })
  .openapi('FlowExport');

const templateFields = {
  id: z.string(),
  name: z.string(),
  description: z.string(),
  category: z.enum(['approvals', 'integration', 'data', 'monitoring', 'reliability']),
  tags: z.array(z.string()),
  example_input: z.record(z.unknown()).openapi({ description: '`input_data` a first run can use' }),
};
const template = z
  .object({ ...templateFields, trigger, nodes: z.array(flowNode), edges: z.array(flowEdge) })
  .openapi('FlowTemplate');
const templateSummary = z.object({ ...templateFields, node_count: z.number().int() }).openapi('FlowTemplateSummary');

const idempotencyKey = z.object({
  'idempotency-key': z.string().max(200).optional().openapi({ description: 'a repeated key returns the run it started (200) instead of starting another' }),
});

/** `/api/v1/workflows`. */
export const workflowOperations: OperationDoc[] = [
  {
    method: 'get',
    path: '/api/v1/workflows',
    tag: 'workflows',
    summary: 'List flows (without nodes and edges)',
    query: pageQuery.extend({
      search: z.string().max(200).optional(),
      status: z.enum(FLOW_LIST_STATUSES).optional().openapi({
        description: 'a stored status, or `running` (enabled and not archived: the trigger is live) / `stopped` (disabled or archived)',
      }),
      sort_by: z.enum(['name', 'created_at', 'updated_at']).default('updated_at'),
      sort_order: z.enum(['asc', 'desc']).default('desc'),
    }),
    responses: { 200: { description: 'a page of flows', schema: page(flowSummary, 'FlowSummaryPage') } },
  },
  {
    method: 'post',
    path: '/api/v1/workflows',
    tag: 'workflows',
    summary: 'Create a flow',
    body: { schema: flowInput, example: exampleFlow },
    responses: { 201: { description: 'the flow, version 1', schema: flow } },
  },
  {
    method: 'post',
    path: '/api/v1/workflows/validate',
    tag: 'workflows',
    summary: 'Validate a flow graph without storing it',
    body: {
      schema: z.object({ nodes: z.array(flowNode).max(5000), edges: z.array(flowEdge).max(20000).default([]) }),
      example: { nodes: exampleFlow.nodes, edges: exampleFlow.edges },
    },
    description:
      'Every check a save makes: `errors` are what a save refuses with 422, `warnings` what it answers beside the stored flow (unknown output fields and nodes, ' +
      'nodes that are not upstream, refused addresses, integrations not configured, credentials you lack or that do not fit); codes in docs/api-flows.md.',
    responses: { 200: { description: 'every error and warning, by path', schema: validationResult } },
  },
  {
    method: 'get',
    path: '/api/v1/workflows/{id}',
    tag: 'workflows',
    summary: 'Get a flow',
    params: flowId,
    responses: { 200: { description: 'the flow', schema: flow } },
  },
  {
    method: 'put',
    path: '/api/v1/workflows/{id}',
    tag: 'workflows',
    summary: 'Replace a flow',
    description: 'A change to the executable definition (nodes, edges) creates a new version.',
    params: flowId,
    body: { schema: flowInput, example: { ...exampleFlow, comment: 'replaced' } },
    responses: { 200: { description: 'the flow', schema: flow } },
  },
  {
    method: 'patch',
    path: '/api/v1/workflows/{id}',
    tag: 'workflows',
    summary: 'Change some fields of a flow',
    description: 'A change to the executable definition (nodes, edges) creates a new version.',
    params: flowId,
    body: { schema: flowPatch, example: { description: 'greets politely' } },
    responses: { 200: { description: 'the flow', schema: flow } },
  },
  {
    method: 'delete',
    path: '/api/v1/workflows/{id}',
    tag: 'workflows',
    summary: 'Delete a flow (its runs stay listed)',
    params: flowId,
    responses: { 204: { description: 'deleted' } },
  },
  {
    method: 'get',
    path: '/api/v1/workflows/{id}/versions',
    tag: 'versions',
    summary: "A flow's versions",
    params: flowId,
    responses: { 200: { description: 'oldest first', schema: z.array(versionSummary) } },
  },
  {
    method: 'get',
    path: '/api/v1/workflows/{id}/versions/{v}',
    tag: 'versions',
    summary: 'One version’s full snapshot',
    params: versionParams,
    responses: { 200: { description: 'the snapshot', schema: versionSnapshot } },
  },
  {
    method: 'post',
    path: '/api/v1/workflows/{id}/versions/{v}/rollback',
    tag: 'versions',
    summary: 'Make version `v` the head again (as a new version)',
    params: versionParams,
    body: { schema: z.object({ comment: z.string().max(1000).optional() }), example: { comment: 'back to the working one' }, required: false },
    responses: { 200: { description: 'the flow at its new head version', schema: flow } },
  },
  {
    method: 'get',
    path: '/api/v1/workflows/{id}/export',
    tag: 'import-export',
    summary: 'Export a flow (head, or `?version`) as a portable document',
    description: `\`format\` is one of ${EXPORT_FORMATS.join(', ')}; any other is refused with 400 naming them.`,
    params: flowId,
    query: exportQuery,
    responses: { 200: { description: 'the export document', schema: flowExport } },
  },
  {
    method: 'post',
    path: '/api/v1/workflows/import',
    tag: 'import-export',
    summary: 'Import a flow',
    description:
      'Takes an export document `{workflow, format_version?}` or a bare flow (anything with `nodes`); the seeds’ spellings ' +
      '(`from`/`to`, `config`, `sourceHandle`, `http_request`…) are normalised.',
    body: { schema: importSchema, example: { workflow: exampleFlow, format_version: 1 } },
    responses: { 201: { description: 'the new flow', schema: flow } },
  },
  {
    method: 'get',
    path: '/api/v1/workflows/templates',
    tag: 'templates',
    summary: 'Built-in flow templates',
    query: pageQuery.extend({ category: z.string().max(64).optional() }),
    responses: { 200: { description: 'a page of templates', schema: page(templateSummary, 'FlowTemplatePage') } },
  },
  {
    method: 'get',
    path: '/api/v1/workflows/templates/{tid}',
    tag: 'templates',
    summary: 'One template, with its graph',
    params: z.object({ tid: z.string() }),
    responses: { 200: { description: 'the template', schema: template } },
  },
  {
    method: 'post',
    path: '/api/v1/workflows/templates/{tid}/create',
    tag: 'templates',
    summary: 'Create a flow from a template',
    params: z.object({ tid: z.string() }),
    query: z.object({ name: z.string().max(200).optional(), description: z.string().max(5000).optional() }),
    responses: { 201: { description: 'the new flow', schema: flow } },
  },
  {
    method: 'post',
    path: '/api/v1/workflows/{id}/nodes',
    tag: 'nodes',
    summary: 'Add a node (and edges to or from it)',
    params: flowId,
    body: {
      schema: nodeAddSchema,
      example: { id: 'log', type: 'noop', data: { value: '{{ greet.result }}' }, edges: [{ source: 'greet', target: 'log' }] },
    },
    responses: { 201: { description: 'the flow', schema: flow } },
  },
  {
    method: 'patch',
    path: '/api/v1/workflows/{id}/nodes/{node_id}',
    tag: 'nodes',
    summary: 'Change a node: `data` is merged (RFC 7386); `null` removes a setting',
    params: nodeId,
    body: { schema: nodePatchSchema, example: { label: 'Greet politely', position: { x: 200, y: 0 } } },
    responses: { 200: { description: 'the flow', schema: flow } },
  },
  {
    method: 'delete',
    path: '/api/v1/workflows/{id}/nodes/{node_id}',
    tag: 'nodes',
    summary: 'Remove a node with its edges',
    params: nodeId,
    responses: { 200: { description: 'the flow', schema: flow } },
  },
  {
    method: 'post',
    path: '/api/v1/workflows/{id}/execute',
    tag: 'executions',
    summary: 'Run a flow',
    description:
      '`input_data` failing the start node’s `input_schema` → 422. While the engine is behind (tasks waiting longer than `RUN_BACKLOG_LIMIT_MS`, or than `timeout_ms` with `wait`) → 429 with `Retry-After`: docs/api.md "Backpressure".',
    params: flowId,
    headers: idempotencyKey,
    body: { schema: executeBody, example: { input_data: { name: 'Ada' } } },
    responses: {
      201: { description: 'the run, started', schema: execution },
      200: { description: 'with `wait`: the finished run; or the run an earlier request with this `Idempotency-Key` started', schema: execution },
      202: { description: 'with `wait`: the run, still going after `timeout_ms`', schema: execution },
    },
    errors: [503],
  },
  {
    method: 'get',
    path: '/api/v1/workflows/{id}/executions',
    tag: 'executions',
    summary: "A flow's runs",
    params: flowId,
    query: pageQuery.extend({ status: z.enum(EXECUTION_STATUSES).optional() }),
    responses: { 200: { description: 'a page of runs', schema: executionPage } },
  },
];
