import { z } from 'zod';
import { AGENT_CALL_DEFAULTS } from '../../shared/agent';
import { credentialField } from '../credentials';
import { jsonSchemaField, outputFormatProblems, responseFormatField } from '../llm/json-output';
import { LLM_PROVIDER_NAMES, providerProblem } from '../llm/providers';
import { defineNode } from '../node-definition';
import { isTemplate, templateString } from '../schema-helpers';
import { BUILTIN_TOOL_NAMES } from '../tools/builtin-tools';
import { TOOL_NAME_PATTERN } from '../tools/tool-types';

export const MAX_AGENT_ITERATIONS = 50;
const MAX_AGENT_TOOLS = 32;

const message = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() }).strict();

/** Seed 004's agent fields (`system_prompt`, `iteration_limit`, `include_tools`, `model_config`) in this node's spelling. */
function fromSeedSpelling(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const { system_prompt, iteration_limit, include_tools, model_config, ...rest } = raw as Record<string, any>;
  const config = model_config && typeof model_config === 'object' ? model_config : {};
  const pick = (...values: unknown[]) => values.find((v) => v !== undefined);
  const out: Record<string, unknown> = {
    ...rest,
    system: pick(rest.system, system_prompt),
    max_iterations: pick(rest.max_iterations, iteration_limit),
    tools: pick(rest.tools, include_tools),
    provider: pick(rest.provider, config.provider),
    model: pick(rest.model, config.model_name, config.model),
    temperature: pick(rest.temperature, config.temperature),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

const fields = z
  .object({
    prompt: z.string().optional().describe('The task, sent as the last user message'),
    system: z.string().optional().describe('System message (the agent\u2019s instructions)'),
    messages: z
      .union([z.array(message).max(200), templateString])
      .optional()
      .describe('Earlier conversation ({role, content}) between the system message and the prompt; or a template giving one'),
    tools: z
      .array(
        z
          .string()
          .trim()
          .refine((t) => isTemplate(t) || TOOL_NAME_PATTERN.test(t), 'Must be a tool name or a {{ }} template'),
      )
      .max(MAX_AGENT_TOOLS)
      .default([])
      .describe(`Tools the model may call: built-in (${BUILTIN_TOOL_NAMES.join(', ')}) or yours (/api/v1/tools)`),
    max_iterations: z.number().int().min(1).max(MAX_AGENT_ITERATIONS).default(10).describe('Most model calls; the node fails if the model still wants tools after them'),
    model: z.string().trim().min(1).optional(),
    provider: z
      .string()
      .trim()
      .min(1)
      .refine((p) => providerProblem(p) === undefined, (p) => ({ message: providerProblem(p) ?? '' }))
      .optional()
      .describe(`${LLM_PROVIDER_NAMES.join(', ')} or a base URL, as for llm nodes`),
    credential: credentialField(['openai']).optional().describe('Id or name of an openai credential; default the LLM_* settings'),
    temperature: z.union([z.number().min(0).max(2), templateString]).optional(),
    max_tokens: z.union([z.number().int().min(1), templateString]).optional(),
    response_format: responseFormatField,
    json_schema: jsonSchemaField,
    tool_timeout_ms: z.number().int().min(1).max(600_000).optional().describe(`Timeout of one tool call; default ${AGENT_CALL_DEFAULTS.tool_timeout_ms} ms`),
  })
  .strict();

/** The agent's data as the interpreter gets it (compiled: defaults filled in). */
export type AgentData = z.infer<typeof fields>;

/**
 * A model that calls tools in a loop: every model call and every tool call is an activity of its
 * own, interpreted in workflows/agent-node.ts (docs/nodes.md, "agent").
 */
export const agentNode = defineNode({
  type: 'agent',
  aliases: ['ai-agent', 'ai_agent'],
  name: 'Agent',
  category: 'ai',
  description:
    'Gives the model `prompt` (after `system` and earlier `messages`) and the `tools` it may use, runs the tool calls it asks for, ' +
    'hands the results back, and repeats until it answers without tools (at most `max_iterations` model calls). ' +
    'Each model call (`<node>/model-<n>`) and each tool call (`<node>/tool-<n>-<call id>`) is its own Temporal activity, so a crashed worker ' +
    'repeats no completed call. A failing tool call is reported to the model, which may recover. Output: `result` (the final answer, parsed ' +
    'with a JSON response_format), `messages`, `tool_calls` and the summed `usage`.',
  kind: 'control',
  ports: ['default'],
  dataSchema: z.preprocess(
    fromSeedSpelling,
    fields.superRefine((data, ctx) => {
      const noMessages = data.messages === undefined || (Array.isArray(data.messages) && data.messages.length === 0);
      if (!data.prompt && noMessages) ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'Prompt is required (or messages)' });
      for (const p of outputFormatProblems(data.response_format, data.json_schema)) ctx.addIssue({ code: 'custom', path: p.path.split('.'), message: p.message });
    }),
  ),
  credentials: { types: ['openai'] },
  outputSchema: z.object({
    result: z.unknown().describe('The final answer: text, or the parsed value with a JSON response_format'),
    messages: z.array(z.record(z.unknown())).describe('The whole conversation, tool calls and results included'),
    tool_calls: z
      .array(z.object({ iteration: z.number().int(), id: z.string(), tool: z.string(), input: z.unknown(), output: z.unknown().optional(), error: z.string().optional() }))
      .describe('Every tool call, in order'),
    usage: z.record(z.number()).describe('Token counts summed over the model calls'),
    iterations: z.number().int().describe('Model calls made'),
    model: z.string().describe('The model that gave the final answer, as the endpoint named it'),
  }),
  // The model calls' timeout and retry policy: the node's timeout_ms and retry override them.
  defaults: {
    timeout_ms: AGENT_CALL_DEFAULTS.model_timeout_ms,
    retry: { max_attempts: 4, initial_interval_ms: 2_000, backoff_coefficient: 2 },
  },
  example: {
    system: 'You check building devices and report problems briefly.',
    prompt: 'Which devices of building {{ input.building }} are offline?',
    tools: ['http_fetch', 'json_path'],
    max_iterations: 8,
    response_format: 'text',
  },
  exampleOutput: {
    result: 'Two devices of building A are offline: door-3 and hvac-1.',
    messages: [
      { role: 'system', content: 'You check building devices and report problems briefly.' },
      { role: 'user', content: 'Which devices of building A are offline?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'http_fetch', arguments: '{"url":"https://iot.example.com/buildings/A/devices"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"status":200,"body":[{"id":"door-3","status":"offline"},{"id":"hvac-1","status":"offline"}]}' },
      { role: 'assistant', content: 'Two devices of building A are offline: door-3 and hvac-1.' },
    ],
    tool_calls: [
      {
        iteration: 1,
        id: 'call_1',
        tool: 'http_fetch',
        input: { url: 'https://iot.example.com/buildings/A/devices' },
        output: { status: 200, url: 'https://iot.example.com/buildings/A/devices', body: [{ id: 'door-3', status: 'offline' }, { id: 'hvac-1', status: 'offline' }] },
      },
    ],
    usage: { prompt_tokens: 412, completion_tokens: 58, total_tokens: 470 },
    iterations: 2,
    model: 'gpt-4o-mini',
  },
});
