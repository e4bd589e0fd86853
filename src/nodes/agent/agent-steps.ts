import { z } from 'zod';
import { AGENT_CALL_DEFAULTS, type ChatToolCall, type LlmChatOutput } from '../../shared/agent';
import { chatCompletion } from '../llm/chat-client';
import { jsonSchemaField, outputFormat, parseAnswer, responseFormatField } from '../llm/json-output';
import { resolveEndpoint } from '../llm/providers';
import { defineNode } from '../node-definition';
import { chatToolSpec, requireTool, runTool } from '../tools/run-tool';

/**
 * The two steps of an `agent` node, each run by the activity wrapper like a node type (rendered
 * data checked, credential resolved, heartbeats, logs, errors mapped, secrets scrubbed) but
 * registered as the activities `llmChat` and `toolCall` rather than as node types: the agent
 * itself is a control node (workflows/agent-node.ts) that calls them once per step.
 */

const toolCall = z.object({
  id: z.string(),
  type: z.literal('function').default('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const chatMessage = z.union([
  z.object({ role: z.enum(['system', 'user']), content: z.string() }),
  z.object({ role: z.literal('assistant'), content: z.string().nullable(), tool_calls: z.array(toolCall).optional() }),
  z.object({ role: z.literal('tool'), tool_call_id: z.string(), content: z.string() }),
]);

const numeric = (v: unknown) => (typeof v === 'string' && v.trim() !== '' && !isNaN(Number(v)) ? Number(v) : v);

/** Only what the chat-completions API knows of a tool call (providers add fields of their own). */
function normalized(calls: ChatToolCall[] | undefined): ChatToolCall[] | undefined {
  if (!calls?.length) return undefined;
  return calls.map((c, i) => ({
    id: typeof c.id === 'string' && c.id ? c.id : `call_${i + 1}`,
    type: 'function',
    function: { name: String(c.function?.name ?? ''), arguments: typeof c.function?.arguments === 'string' ? c.function.arguments : JSON.stringify(c.function?.arguments ?? {}) },
  }));
}

/** One model call of an agent (activity `llmChat`). */
export const agentModelStep = defineNode({
  type: 'agent',
  name: 'Agent model call',
  category: 'ai',
  description: 'One model call of an agent node, with the tools it may ask for.',
  kind: 'activity',
  ports: ['default'],
  dataSchema: z
    .object({
      messages: z.array(chatMessage).min(1),
      tools: z.array(z.string()).default([]),
      model: z.string().optional(),
      provider: z.string().optional(),
      credential: z.string().optional(),
      temperature: z.preprocess(numeric, z.number().min(0).max(2)).optional(),
      max_tokens: z.preprocess(numeric, z.number().int().min(1)).optional(),
      response_format: responseFormatField,
      json_schema: jsonSchemaField,
    })
    .strip(),
  credentials: { types: ['openai'] },
  outputSchema: z.object({ result: z.unknown() }),
  defaults: { heartbeat_ms: AGENT_CALL_DEFAULTS.heartbeat_ms },
  example: { messages: [{ role: 'user', content: 'hi' }], tools: [], response_format: 'text' },
  async execute(data, ctx) {
    const endpoint = resolveEndpoint({ provider: data.provider, model: data.model }, ctx);
    // Looked up on every call, so a tool the owner changed meanwhile is offered as it is now.
    const tools = await Promise.all(data.tools.map(async (name) => chatToolSpec(await requireTool(name, ctx))));
    const format = outputFormat(data.response_format, data.json_schema);
    const reply = await chatCompletion(
      endpoint,
      {
        model: endpoint.model,
        messages: data.messages,
        ...(data.temperature !== undefined && { temperature: data.temperature }),
        ...(data.max_tokens !== undefined && { max_tokens: data.max_tokens }),
        ...(format.param && { response_format: format.param }),
        ...(tools.length && { tools }),
      },
      ctx,
    );
    const calls = normalized(reply.message.tool_calls);
    const message: LlmChatOutput['result'] = { role: 'assistant', content: reply.message.content, ...(calls && { tool_calls: calls }) };
    const output: LlmChatOutput = { result: message, model: reply.model, usage: reply.usage, finish_reason: reply.finish_reason };
    // The final answer (no tool calls) is parsed here, so an answer that does not parse is sampled again.
    if (!calls) output.parsed = parseAnswer(reply.content, reply.finish_reason, format);
    return { output };
  },
});

/** One tool call of an agent (activity `toolCall`). */
export const agentToolStep = defineNode({
  type: 'agent',
  name: 'Agent tool call',
  category: 'ai',
  description: 'One tool call of an agent node.',
  kind: 'activity',
  ports: ['default'],
  dataSchema: z.object({ tool: z.string().min(1), input: z.unknown() }).strip(),
  outputSchema: z.object({ result: z.unknown() }),
  defaults: { heartbeat_ms: AGENT_CALL_DEFAULTS.heartbeat_ms },
  example: { tool: 'echo', input: {} },
  async execute(data, ctx) {
    return { output: { result: await runTool(data.tool, data.input ?? {}, ctx) } };
  },
});
