import { z } from 'zod';
import { NETWORK_HEARTBEAT_TIMEOUT_MS } from '../defaults';
import { defineNode } from '../node-definition';
import { isTemplate } from '../schema-helpers';
import { BUILTIN_TOOL_NAMES } from '../tools/builtin-tools';
import { runTool } from '../tools/run-tool';
import { TOOL_NAME_PATTERN } from '../tools/tool-types';

/** Names of the built-in tools, sorted (the owner's own tools come from `/api/v1/tools`). */
export const TOOL_NAMES = BUILTIN_TOOL_NAMES;

/** Calls a tool by name (seed 002's `tool-call`): a built-in one or one of the owner's HTTP tools. */
export const toolCallNode = defineNode({
  type: 'tool-call',
  aliases: ['tool_call', 'tool'],
  name: 'Tool Call',
  category: 'integration',
  description:
    `Calls the tool \`tool\` with \`input\` (checked against the tool's JSON Schema) and outputs what it returns as \`result\`. ` +
    `Built-in tools: ${BUILTIN_TOOL_NAMES.join(', ')} (GET /api/v1/tools/builtin); any other name is one of the flow owner's HTTP tools ` +
    '(/api/v1/tools). An unknown tool is refused when the flow is saved.',
  kind: 'activity',
  ports: ['default'],
  dataSchema: z
    .object({
      tool: z
        .string()
        .trim()
        .min(1, 'Tool name is required')
        .refine((t) => isTemplate(t) || TOOL_NAME_PATTERN.test(t), 'Must be a tool name (letters, digits, _ and -) or a {{ }} template')
        .describe(`A built-in tool (${BUILTIN_TOOL_NAMES.join(', ')}) or one of yours (/api/v1/tools)`),
      input: z.unknown().optional().describe("The tool's input (default {}); templates allowed"),
    })
    .strict(),
  outputSchema: z.object({
    result: z.unknown().describe('What the tool returned'),
    tool: z.string().describe('The tool that ran'),
  }),
  defaults: {
    timeout_ms: 60_000,
    retry: { max_attempts: 3, initial_interval_ms: 1_000, backoff_coefficient: 2 },
    // The wrapper heartbeats every second: a worker that dies mid-call is noticed in 10 s.
    heartbeat_ms: NETWORK_HEARTBEAT_TIMEOUT_MS,
  },
  example: { tool: 'http_fetch', input: { url: 'https://api.example.com/devices' } },
  exampleOutput: { result: { status: 200, url: 'https://api.example.com/devices', body: [{ id: 'door-3', status: 'offline' }] }, tool: 'http_fetch' },
  async execute(data, ctx) {
    const result = await runTool(data.tool, data.input ?? {}, ctx);
    return { output: { result, tool: data.tool } };
  },
});
