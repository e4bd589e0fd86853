import { SCOPES } from '../principal';
import { flowInputSchema, triggerSchema } from '../schemas/flow-bodies';
import { EXECUTION_STATUSES, STEP_STATUSES } from '../../shared/flow';
import { z } from './zod';

export { EXECUTION_STATUSES, STEP_STATUSES };

const id = z.string().uuid();
const timestamp = z.string().datetime({ offset: true });
/** Any JSON value. */
export const json = z.unknown().openapi({ description: 'any JSON value' });

/** The one error body of every 4xx/5xx answer. */
export const errorBody = z
  .object({
    error: z.object({
      code: z.enum(['BAD_REQUEST', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'GONE', 'PAYLOAD_TOO_LARGE', 'VALIDATION_ERROR', 'RATE_LIMITED', 'TEMPORAL_UNAVAILABLE', 'INTERNAL_ERROR']),
      message: z.string(),
      details: z
        .record(z.unknown())
        .optional()
        .openapi({ description: 'for VALIDATION_ERROR: each problem by path, e.g. `{"nodes[2].data.url": "Invalid URL"}`' }),
    }),
  })
  .openapi('ErrorBody', {
    example: { error: { code: 'VALIDATION_ERROR', message: 'request body is invalid', details: { name: 'Required' } } },
  });

/** `{items, total, skip, limit}` of `item`. */
export function page<T extends z.ZodTypeAny>(item: T, name: string) {
  return z
    .object({ items: z.array(item), total: z.number().int(), skip: z.number().int(), limit: z.number().int() })
    .openapi(name);
}

/** `?skip&limit` of every list (limit ≤ 100). */
export const pageQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** A user as the API returns it (never a password hash). */
export const user = z
  .object({ id, username: z.string(), email: z.string().email(), role: z.enum(['user', 'admin']), created_at: timestamp, updated_at: timestamp })
  .openapi('User');

/** An API key without its secret. */
export const apiKey = z
  .object({
    id,
    name: z.string(),
    prefix: z.string().openapi({ description: 'the first 12 characters of the key, to tell keys apart' }),
    scopes: z.array(z.enum(SCOPES)),
    created_at: timestamp,
    last_used_at: timestamp.nullable(),
    expires_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
  })
  .openapi('ApiKey');

/** A node of a flow (docs/flow-format.md). */
export const flowNode = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    type: z.string().openapi({ description: 'a node type of `GET /api/v1/node-types`' }),
    label: z.string().optional(),
    data: z.record(z.unknown()).optional().openapi({ description: "the type's configuration; strings may hold `{{ expression }}` templates" }),
    retry: z
      .object({ max_attempts: z.number().int(), initial_interval_ms: z.number().int(), backoff_coefficient: z.number(), max_interval_ms: z.number().int() })
      .partial()
      .optional(),
    timeout_ms: z.number().int().optional(),
    on_error: z.enum(['fail', 'continue', 'route']).optional(),
    position: z.object({ x: z.number(), y: z.number() }).optional(),
  })
  .openapi('FlowNode');

/** An edge from an output port of one node to another node. */
export const flowEdge = z
  .object({ id: z.string().optional(), source: z.string(), target: z.string(), source_handle: z.string().optional() })
  .openapi('FlowEdge');

/** Body of `POST /workflows` and `PUT /workflows/{id}`: the route's own schema, with the graph's shape spelled out. */
export const flowInput = flowInputSchema
  .extend({ nodes: z.array(flowNode).max(5000).default([]), edges: z.array(flowEdge).max(20000).default([]) })
  .openapi('FlowInput');

/** Body of `PATCH /workflows/{id}`: any subset of {@link flowInput}. */
export const flowPatch = flowInput.partial().openapi('FlowPatch');

/** A flow's trigger. */
export const trigger = triggerSchema.openapi('Trigger');

const flowSummaryFields = {
  id,
  name: z.string(),
  description: z.string(),
  status: z.enum(['draft', 'published', 'archived']),
  enabled: z.boolean(),
  trigger,
  settings: z.record(z.unknown()),
  version: z.number().int(),
  owner_id: id,
  created_at: timestamp,
  updated_at: timestamp,
};

/** A flow in lists (without nodes and edges). */
export const flowSummary = z.object(flowSummaryFields).openapi('FlowSummary');
/** One problem of a flow. */
export const validationIssue = z.object({ path: z.string(), code: z.string(), message: z.string() }).openapi('ValidationIssue');

/** A whole flow. */
export const flow = z
  .object({
    ...flowSummaryFields,
    nodes: z.array(flowNode),
    edges: z.array(flowEdge),
    warnings: z.array(validationIssue).optional().openapi({
      description:
        'only in the answer of a save, when there are any: the warnings `POST /workflows/validate` gives for the saved graph — reads of output fields or nodes that cannot exist there, addresses the private-address guard refuses, integrations not configured, credentials the owner lacks… (codes in docs/api-flows.md, "Mistakes found at save time")',
    }),
  })
  .openapi('Flow');
/** `POST /workflows/validate`'s answer. */
export const validationResult = z
  .object({ valid: z.boolean(), errors: z.array(validationIssue), warnings: z.array(validationIssue) })
  .openapi('ValidationResult');

/** A version in a flow's history. */
export const versionSummary = z
  .object({ version: z.number().int(), created_at: timestamp, author_id: id.nullable(), comment: z.string().nullable() })
  .openapi('FlowVersionSummary');
/** One version's full snapshot. */
export const versionSnapshot = versionSummary
  .extend({ nodes: z.array(flowNode), edges: z.array(flowEdge) })
  .passthrough()
  .openapi('FlowVersion');

/** One node of a run. */
export const step = z
  .object({
    node_id: z.string(),
    node_type: z.string(),
    label: z.string().optional(),
    status: z.enum(STEP_STATUSES),
    attempt: z.number().int(),
    input: json.optional(),
    output: json.optional(),
    error: z.object({ message: z.string(), type: z.string().optional(), details: json.optional() }).nullable().optional(),
    port: z.string().optional(),
    started_at: timestamp.optional(),
    finished_at: timestamp.optional(),
    duration_ms: z.number().optional(),
    reused_from: id.nullable().openapi({
      description: 'a retried run’s step that it did not execute: the execution that did (its output and logs are that run’s)',
    }),
  })
  .openapi('Step');

/** One step of a loop body's item. */
export const itemStep = step
  .extend({
    scope: z.string().openapi({ description: 'the item’s scope key: `<loop>/<index>/`, nested loops outermost first' }),
    loop_node_id: z.string().openapi({ description: 'the innermost loop the step’s body belongs to' }),
    item_index: z.number().int().openapi({ description: 'the item’s index in that loop (0-based)' }),
    batch: z
      .object({ number: z.number().int(), workflow_id: z.string() })
      .nullable()
      .openapi({ description: 'the `runLoopBatch` child workflow that ran the step (large loops); null inline' }),
  })
  .openapi('ItemStep');

/** A page of loop-body steps with the counts of all of a run's item steps by status. */
export const itemStepPage = z
  .object({
    items: z.array(itemStep),
    total: z.number().int(),
    skip: z.number().int(),
    limit: z.number().int(),
    by_status: z.record(z.number().int()).openapi({ description: 'every item step of the run (not only this page or filter) by status' }),
  })
  .openapi('ItemStepPage');

/** A run. */
export const execution = z
  .object({
    id,
    workflow_id: id,
    workflow_version: z.number().int(),
    status: z.enum(EXECUTION_STATUSES),
    trigger: z.object({ type: z.string() }).passthrough(),
    input_data: json,
    output_data: json,
    error: json,
    parent_execution_id: id.nullable(),
    started_at: timestamp.nullable(),
    finished_at: timestamp.nullable(),
    execution_time_ms: z.number().nullable(),
    created_at: timestamp,
    temporal: z.object({
      namespace: z.string(),
      workflow_id: z.string(),
      run_id: z.string().nullable(),
      ui_url: z.string().url().openapi({ description: "the run in Temporal's Web UI" }),
    }),
  })
  .openapi('Execution');
/** A run with its steps. */
export const executionDetail = execution
  .extend({
    steps: z.array(step),
    item_steps: itemStepPage.openapi({
      description: 'the first 100 steps of loop bodies’ items; `GET /executions/{id}/item-steps` pages through the rest',
    }),
  })
  .openapi('ExecutionDetail');

/** Live status of a run. */
export const runStatus = z
  .object({
    status: z.enum(EXECUTION_STATUSES),
    paused: z.boolean(),
    progress: z.object({ completed: z.number().int(), total: z.number().int() }),
    current_nodes: z.array(z.string()),
    waiting_for: z
      .array(z.object({ node_id: z.string(), kind: z.enum(['approval', 'event', 'delay']), name: z.string().optional(), until: timestamp.optional() }))
      .optional(),
  })
  .openapi('RunStatus');

/** One log line of a run. */
export const logEntry = z
  .object({
    id: z.union([z.string(), z.number()]),
    node_id: z.string().nullable(),
    node_type: z.string().nullable(),
    level: z.enum(['debug', 'info', 'warn', 'error']),
    message: z.string(),
    timestamp,
    duration_ms: z.number().nullable(),
    data: json.optional(),
    scope: z.string().nullable().openapi({ description: 'lines of a node inside a loop body: the item’s scope key' }),
    loop_node_id: z.string().nullable(),
    item_index: z.number().int().nullable(),
  })
  .openapi('LogEntry');

/** An entry of the node catalogue. */
export const nodeType = z
  .object({
    type: z.string(),
    aliases: z.array(z.string()),
    name: z.string(),
    category: z.string(),
    description: z.string(),
    kind: z.enum(['activity', 'control']),
    ports: z.array(z.string()),
    dynamic_ports: z.boolean(),
    config_schema: z.record(z.unknown()).openapi({ description: 'JSON Schema of `data`' }),
    output_schema: z.record(z.unknown()).openapi({ description: "JSON Schema of the node's output" }),
    credentials: z
      .object({ field: z.string(), types: z.array(z.string()), required: z.boolean() })
      .nullable()
      .openapi({ description: 'The credential a node may name (by id or name) in `data[field]`, and its accepted types' }),
    example: json,
  })
  .openapi('NodeType');

/** One component's health. */
export const componentHealth = z
  .object({ status: z.enum(['ok', 'error']), latency_ms: z.number().optional(), error: z.string().optional() })
  .passthrough()
  .openapi('ComponentHealth');

/** A page of runs. */
export const executionPage = page(execution, 'ExecutionPage');
