import { toolBody, toolTestBody } from '../schemas/tool-bodies';
import type { OperationDoc } from './operation-doc';
import { json, page, pageQuery } from './schemas';
import { z } from './zod';

const id = z.object({ id: z.string().uuid() });
const timestamp = z.string().datetime({ offset: true });
const jsonSchema = z.record(z.unknown()).openapi({ description: 'a JSON Schema' });

const tool = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    description: z.string(),
    input_schema: jsonSchema,
    http: z.object({
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
      url: z.string(),
      headers: z.record(z.string()).optional(),
      credential: z.string().optional().openapi({ description: 'the name or id of the credential it uses (never its value)' }),
      timeout_ms: z.number().int().optional(),
    }),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi('Tool');

const builtinTool = z.object({ name: z.string(), description: z.string(), input_schema: jsonSchema }).openapi('BuiltinTool');

const testResult = z
  .object({
    success: z.boolean(),
    output: json.openapi({ description: 'what the tool returned (null when it failed)' }),
    error: z.object({ message: z.string(), type: z.string().optional(), details: json.optional() }).nullable(),
    duration_ms: z.number().int(),
  })
  .openapi('ToolTestResult');

const example = {
  name: 'iot_get_all_devices',
  description: 'Lists every device of a building with its status (online, offline, fault).',
  input_schema: { type: 'object', properties: { building: { type: 'string' } }, additionalProperties: false },
  http: { method: 'GET', url: 'https://iot.example.com/api/buildings/{{ building }}/devices', credential: 'iot-token' },
};

/** `/api/v1/tools` (docs/api-tools.md). */
export const toolOperations: OperationDoc[] = [
  {
    method: 'get',
    path: '/api/v1/tools/builtin',
    tag: 'tools',
    summary: 'The built-in tools, with the JSON Schema of their input',
    query: pageQuery,
    responses: { 200: { description: 'a page of built-in tools, by name', schema: page(builtinTool, 'BuiltinToolPage') } },
  },
  {
    method: 'post',
    path: '/api/v1/tools',
    tag: 'tools',
    summary: 'Register an HTTP tool that tool-call nodes and agents can call by name',
    description:
      '`http.url` and header values may hold `{{ }}` templates over the input (`{{ building }}`; values put into the URL are URL-encoded); ' +
      'POST, PUT and PATCH send the input as the JSON body. 422 for a name a built-in tool has, or an input_schema that is not an object schema; 409 for a name you already use.',
    body: { schema: toolBody, example },
    responses: { 201: { description: 'the tool', schema: tool } },
    errors: [409],
  },
  {
    method: 'get',
    path: '/api/v1/tools',
    tag: 'tools',
    summary: 'Your tools',
    query: pageQuery,
    responses: { 200: { description: 'a page of tools, newest first', schema: page(tool, 'ToolPage') } },
  },
  {
    method: 'get',
    path: '/api/v1/tools/{id}',
    tag: 'tools',
    summary: 'One tool',
    params: id,
    responses: { 200: { description: 'the tool', schema: tool } },
  },
  {
    method: 'put',
    path: '/api/v1/tools/{id}',
    tag: 'tools',
    summary: 'Replace a tool’s definition',
    description: 'Flows that name the tool by its old name are not changed: they fail when they next run.',
    params: id,
    body: { schema: toolBody, example: { ...example, description: 'Lists every device of a building.' } },
    responses: { 200: { description: 'the tool', schema: tool } },
    errors: [409],
  },
  {
    method: 'delete',
    path: '/api/v1/tools/{id}',
    tag: 'tools',
    summary: 'Delete a tool',
    params: id,
    responses: { 204: { description: 'deleted' } },
  },
  {
    method: 'post',
    path: '/api/v1/tools/{id}/test',
    tag: 'tools',
    summary: 'Call a tool once with an input',
    description:
      'Runs on the worker as a one-node `tool-call` flow (its credential, the address guard and the input check as in a run). ' +
      'A failing call answers 200 with `success: false` and the error; 503 while Temporal is down.',
    params: id,
    body: { schema: toolTestBody, example: { input: { building: 'A' } } },
    responses: { 200: { description: 'the outcome', schema: testResult } },
    errors: [503],
  },
];
