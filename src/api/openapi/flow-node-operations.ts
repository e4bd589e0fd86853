import { storedNodeTestBody } from '../routes/workflow-nodes';
import type { OperationDoc } from './operation-doc';
import { json } from './schemas';
import { z } from './zod';

const flowNode = z.object({ id: z.string().uuid(), node_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
const flowId = z.object({ id: z.string().uuid() });
const runId = z.object({ id: z.string().uuid() });
const tokenQuery = z.object({ token: z.string().optional().openapi({ description: 'credentials for clients that cannot send headers (a JWT or API key)' }) });

const source = {
  ran: z.boolean().openapi({ description: 'false when the node never ran (then every other field below is null)' }),
  source: z.enum(['execution', 'test']).nullable().openapi({ description: 'a run of the flow, or a stored node test' }),
  execution_id: z.string().uuid().nullable(),
  test_id: z.string().uuid().nullable(),
  status: z.string().nullable().openapi({ description: 'the step’s status in that run (`running`, `completed`, `failed`…) or the test’s outcome' }),
  at: z.string().nullable().openapi({ description: 'when the node started (input) or finished (output) there' }),
};

const nodeInput = z
  .object({
    workflow_id: z.string().uuid(),
    node_id: z.string(),
    node_type: z.string(),
    input_data: json.openapi({ description: 'what reached the node: its upstream node’s output (`{node_id: output}` for several), or the run input' }),
    rendered_input: json.openapi({ description: 'the node’s data as rendered there (a step’s `input` in the run detail)' }),
    ...source,
  })
  .openapi('NodeInput');

const nodeOutput = z
  .object({
    workflow_id: z.string().uuid(),
    node_id: z.string(),
    node_type: z.string(),
    output_data: json,
    error: z.object({ message: z.string(), type: z.string().optional(), details: json.optional() }).nullable(),
    port: z.string().nullable(),
    ...source,
  })
  .openapi('NodeOutput');

const storedNodeTest = z
  .object({
    id: z.string().uuid(),
    success: z.boolean(),
    workflow_id: z.string().uuid(),
    workflow_version: z.number().int(),
    node_id: z.string(),
    node_type: z.string(),
    form_values: z.record(z.unknown()),
    input_data: json.openapi({ description: 'what reached the node: its upstream output, or the run input' }),
    rendered_input: json.openapi({ description: 'the node’s data as rendered for the test' }),
    output: json,
    error: z.object({ message: z.string(), type: z.string().optional(), details: json.optional() }).nullable(),
    port: z.string().nullable(),
    attempt: z.number().int(),
    logs: z.array(z.object({ level: z.string(), message: z.string(), timestamp: z.string(), duration_ms: z.number().nullable(), data: json })),
    duration_ms: z.number(),
    session_id: z.string().nullable(),
    temporal: z.object({ workflow_id: z.string(), run_id: z.string() }),
    created_at: z.string(),
  })
  .openapi('StoredNodeTest');

const socket = (what: string) =>
  `A WebSocket: connect with \`Upgrade: websocket\` (credentials as for REST, or \`?token=\`). ${what} ` +
  'Clients may send `{"type":"ping"}` (→ `pong`) and `{"type":"request_state"}` (→ `state_sync`); anything else is answered with ' +
  '`{"type":"error","error":{code,message}}` and the socket stays open. A plain GET without the upgrade is answered 400. ' +
  'The protocol, with examples, is in docs/api-live.md.';

/** Seed 003: a stored node's input, output and test, and the live event sockets. */
export const flowNodeOperations: OperationDoc[] = [
  {
    method: 'get',
    path: '/api/v1/workflows/{id}/nodes/{node_id}/input',
    tag: 'workflows',
    summary: "A node's latest input",
    description:
      'From the flow’s newest run that ran the node, or its newest stored node test, whichever is newer. A node that never ran answers ' +
      '`ran: false` with nulls. 404 for an unknown flow or a node that is not in the flow’s current version.',
    params: flowNode,
    responses: { 200: { description: 'the input', schema: nodeInput } },
  },
  {
    method: 'get',
    path: '/api/v1/workflows/{id}/nodes/{node_id}/output',
    tag: 'workflows',
    summary: "A node's latest output",
    description:
      'From the flow’s newest run in which the node finished (completed or failed), or its newest stored node test, whichever is newer. ' +
      'A node that never finished answers `ran: false` with nulls.',
    params: flowNode,
    responses: { 200: { description: 'the output', schema: nodeOutput } },
  },
  {
    method: 'post',
    path: '/api/v1/workflows/{id}/nodes/{node_id}/test',
    tag: 'workflows',
    summary: 'Run one stored node and keep its result',
    description:
      'Runs the node as the flow defines it (its data with `form_values` laid over it for this test only, its credentials, retry policy ' +
      'and timeout) through Temporal, in the context of the flow’s newest run that ran it; `input_data` replaces the node’s input. ' +
      'The result is stored: `GET …/output` answers it until a newer run or test. `success: false` (still 200) when the node failed.',
    params: flowNode,
    body: { schema: storedNodeTestBody, example: { form_values: { url: 'https://api.example.test/items' }, input_data: { key: 'value' } } },
    responses: { 200: { description: 'the outcome, as stored', schema: storedNodeTest } },
    errors: [503],
  },
  {
    method: 'get',
    path: '/api/v1/ws/workflows/{id}',
    tag: 'live events',
    summary: "A flow's live events (WebSocket)",
    description: socket(
      'Sends `state_sync` (`{type, workflow_id, timestamp, state}`: the flow’s unfinished and newest runs, their executing, completed, ' +
        'failed and skipped nodes), then `execution_started`, `node_started`, `node_waiting`, `node_completed`, `node_failed`, `node_skipped`, ' +
        '`execution_paused`, `execution_resumed` and `workflow_completed`/`workflow_failed`/`workflow_cancelled` for every run of the flow.',
    ),
    params: flowId,
    query: tokenQuery,
    responses: { 101: { description: 'switching to the WebSocket protocol' } },
    errors: [400],
  },
  {
    method: 'get',
    path: '/api/v1/ws/executions/{id}',
    tag: 'live events',
    summary: "A run's live events (WebSocket)",
    description: socket(
      'Sends the same events as `GET /executions/{id}/events/stream`, one JSON message each with its `cursor` (reconnect with ' +
        '`?last_event_id=<cursor>` to resume), and closes with 1000 after the terminal event.',
    ),
    params: runId,
    query: tokenQuery.extend({ last_event_id: z.string().optional().openapi({ description: 'resume after this cursor' }) }),
    responses: { 101: { description: 'switching to the WebSocket protocol' } },
    errors: [400],
  },
];
