import { z } from 'zod';
import { NETWORK_HEARTBEAT_TIMEOUT_MS } from '../defaults';
import { defineNode, NodeError, type NodeContext } from '../node-definition';
import { callHttp, type HttpCall } from '../net/http-call';

/** A built-in tool: validates its `input`, then runs. */
interface Tool {
  description: string;
  input: z.ZodTypeAny;
  run(input: any, ctx: NodeContext): Promise<unknown>;
}

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/**
 * The tools a `tool-call` node can call. Deliberately small: anything else is an `http-request`,
 * `code` or `llm` node. Add a tool here (name, input schema, run) and document it in docs/nodes.md.
 */
const TOOLS: Record<string, Tool> = {
  echo: {
    description: 'Returns `input` unchanged',
    input: z.unknown(),
    run: async (input) => input,
  },
  http_get: {
    description:
      'GETs `input.url` (with optional `headers` and `query`) through the private-address guard; the parsed body',
    input: z
      .object({
        url: z.string().trim().min(1, 'url is required'),
        headers: z.record(scalar).optional(),
        query: z.record(z.union([scalar, z.null(), z.array(scalar)])).optional(),
      })
      .strict(),
    run: async (input: Pick<HttpCall, 'url' | 'headers' | 'query'>, ctx) =>
      (await callHttp({ method: 'GET', ...input, follow_redirects: true, response_type: 'auto' }, ctx)).result,
  },
};

/** Names of the built-in tools, sorted. */
export const TOOL_NAMES = Object.keys(TOOLS).sort();

/** Calls a built-in tool by name (seed 002's `tool-call`). */
export const toolCallNode = defineNode({
  type: 'tool-call',
  aliases: ['tool_call', 'tool'],
  name: 'Tool Call',
  category: 'integration',
  description:
    `Calls the built-in tool \`tool\` with \`input\` and outputs what it returns as \`result\`. Tools: ` +
    `${TOOL_NAMES.map((name) => `\`${name}\` (${TOOLS[name].description})`).join('; ')}. ` +
    'Any tool name is accepted when a flow is saved (so imported flows load), but calling a tool that is not ' +
    'built in fails at once, without retries, naming the available tools.',
  kind: 'activity',
  ports: ['default'],
  dataSchema: z
    .object({
      tool: z
        .string()
        .trim()
        .min(1, 'Tool name is required')
        .describe(`One of: ${TOOL_NAMES.join(', ')}`),
      input: z.unknown().optional().describe("The tool's input; templates allowed"),
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
  example: { tool: 'http_get', input: { url: 'https://api.example.com/devices' } },
  async execute(data, ctx) {
    const tool = Object.hasOwn(TOOLS, data.tool) ? TOOLS[data.tool] : undefined;
    if (!tool) {
      throw new NodeError(`Unknown tool "${data.tool}"; available tools: ${TOOL_NAMES.join(', ')}`, {
        retryable: false,
        type: 'UnknownTool',
        details: { tool: data.tool, available: TOOL_NAMES },
      });
    }
    const input = tool.input.safeParse(data.input ?? null);
    if (!input.success) {
      const issues = input.error.issues.map((i) => `${['input', ...i.path].join('.')}: ${i.message}`);
      throw new NodeError(`Invalid input for tool "${data.tool}": ${issues.join('; ')}`, {
        retryable: false,
        type: 'InvalidConfig',
      });
    }
    const result = await tool.run(input.data, ctx);
    return { output: { result, tool: data.tool } };
  },
});
