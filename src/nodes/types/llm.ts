import { z } from 'zod';
import type { ChatMessage } from '../../shared/agent';
import { credentialField } from '../credentials';
import { NETWORK_HEARTBEAT_TIMEOUT_MS } from '../defaults';
import { chatCompletion, LLM_REQUEST_TIMEOUT_MS } from '../llm/chat-client';
import { jsonSchemaField, outputFormat, outputFormatProblems, parseAnswer, responseFormatField } from '../llm/json-output';
import { LLM_PROVIDER_NAMES, providerProblem, resolveEndpoint } from '../llm/providers';
import { defineNode } from '../node-definition';
import { intOrTemplate, templateString } from '../schema-helpers';

/** A rendered `{{ }}` template may give an object, array or number: the model gets it as JSON. */
function asText(value: unknown): unknown {
  if (value === null || value === undefined || typeof value === 'string') return value;
  return typeof value === 'object' ? JSON.stringify(value, null, 2) : String(value);
}

/** A template that rendered into a string such as "0.5" still counts as a number. */
const numeric = (v: unknown) => (typeof v === 'string' && v.trim() !== '' && !isNaN(Number(v)) ? Number(v) : v);

const message = z
  .object({ role: z.enum(['system', 'user', 'assistant']), content: z.preprocess(asText, z.string()) })
  .strict();
const MAX_MESSAGES = 200;

/** Data of an `llm` node as stored in a flow (strings may hold `{{ }}` templates). */
const fields = z
  .object({
    prompt: z.preprocess(asText, z.string()).optional().describe('User message, sent last; a template giving an object or array is sent as JSON'),
    system: z.preprocess(asText, z.string()).optional().describe('System message, sent first (an empty one is not sent)'),
    messages: z
      .union([z.array(message).max(MAX_MESSAGES), templateString])
      .optional()
      .describe('Earlier conversation ({role: system|user|assistant, content}), between the system message and the prompt; or a template giving such an array'),
    model: z.string().trim().min(1).optional().describe("Model name; default the credential's model, the provider's default or LLM_MODEL"),
    temperature: z
      .preprocess(numeric, z.union([z.number().min(0).max(2), templateString], { errorMap: () => ({ message: 'Must be a number from 0 to 2 or a {{ }} template' }) }))
      .optional()
      .describe('Sampling temperature, 0..2'),
    max_tokens: z
      .preprocess(numeric, intOrTemplate(1, 'Must be a positive integer or a {{ }} template'))
      .optional()
      .describe('Upper bound of generated tokens'),
    response_format: responseFormatField,
    json_schema: jsonSchemaField,
    provider: z
      .string()
      .trim()
      .min(1)
      .refine((p) => providerProblem(p) === undefined, (p) => ({ message: providerProblem(p) ?? '' }))
      .optional()
      .describe(`${LLM_PROVIDER_NAMES.join(', ')} or an OpenAI-compatible base URL; see docs/nodes.md for which endpoint and key a call uses`),
    credential: credentialField(['openai'])
      .optional()
      .describe('Id or name of an openai credential (api_key, base_url, model, organization); default the LLM_* settings'),
  })
  .strict();

type Fields = z.infer<typeof fields>;

function checked<T extends Partial<Fields>>(data: T, ctx: z.RefinementCtx): void {
  if ((data.prompt === undefined || data.prompt === '') && (data.messages === undefined || (Array.isArray(data.messages) && data.messages.length === 0))) {
    ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'Prompt is required (or messages)' });
  }
  for (const p of outputFormatProblems(data.response_format, data.json_schema)) ctx.addIssue({ code: 'custom', path: p.path.split('.'), message: p.message });
}

const dataSchema = fields.superRefine(checked);

/** The same data after rendering: concrete values only. */
const renderedSchema = fields
  .extend({
    messages: z.array(message).max(MAX_MESSAGES).optional(),
    temperature: z.preprocess(numeric, z.number().min(0).max(2)).optional(),
    max_tokens: z.preprocess(numeric, z.number().int().min(1)).optional(),
  })
  .superRefine(checked);

/** The conversation sent: system message, earlier messages, then the prompt. */
function conversation(data: z.infer<typeof renderedSchema>): ChatMessage[] {
  return [
    ...(data.system ? [{ role: 'system' as const, content: data.system }] : []),
    ...(data.messages ?? []),
    ...(data.prompt ? [{ role: 'user' as const, content: data.prompt }] : []),
  ];
}

/** Asks an OpenAI-compatible chat-completions endpoint for one answer (through the official openai SDK). */
export const llmNode = defineNode({
  type: 'llm',
  aliases: ['ai-generate', 'ai_generate', 'ai'],
  name: 'LLM',
  category: 'ai',
  description:
    'Sends `prompt` (after an optional `system` message and earlier `messages`) to an OpenAI-compatible chat-completions ' +
    'API through the official openai SDK: the openai credential named in `credential`, the `provider` ' +
    `(${LLM_PROVIDER_NAMES.join(', ')} or a base URL), or the deployment's LLM_BASE_URL / LLM_API_KEY / LLM_MODEL. ` +
    'Outputs the answer as `result` (parsed with `response_format` json or json_schema), with `model`, `usage` and `finish_reason`. ' +
    '429, 408 and 5xx responses and network errors are retried by the node\'s retry policy (honouring Retry-After); other 4xx fail at once. ' +
    'The LLM host must pass the private-address guard unless listed in HTTP_ALLOWED_HOSTS.',
  kind: 'activity',
  ports: ['default'],
  dataSchema,
  renderedSchema,
  credentials: { types: ['openai'] },
  outputSchema: z.object({
    result: z.unknown().describe('The answer text, or the parsed JSON value with response_format json or json_schema'),
    model: z.string().describe('The model that answered'),
    usage: z.record(z.unknown()).nullable().describe('Token counts as the provider reports them (prompt_tokens, completion_tokens, total_tokens)'),
    finish_reason: z.string().nullable().describe('stop, length, content_filter…'),
  }),
  defaults: {
    timeout_ms: LLM_REQUEST_TIMEOUT_MS + 10_000,
    // The wrapper heartbeats every second while the call runs: a dead worker's call is retried after this.
    heartbeat_ms: NETWORK_HEARTBEAT_TIMEOUT_MS,
    retry: { max_attempts: 4, initial_interval_ms: 2_000, backoff_coefficient: 2 },
  },
  example: {
    prompt: 'Summarise in one sentence: {{ fetch.result }}',
    system: 'You are a concise assistant.',
    temperature: 0.2,
    max_tokens: 300,
    response_format: 'text',
  },
  exampleOutput: {
    result: 'Three of twelve devices are offline, all on floor 2.',
    model: 'gpt-4o-mini',
    usage: { prompt_tokens: 182, completion_tokens: 14, total_tokens: 196 },
    finish_reason: 'stop',
  },
  async execute(data, ctx) {
    const endpoint = resolveEndpoint({ provider: data.provider, model: data.model }, ctx);
    const format = outputFormat(data.response_format, data.json_schema);
    const reply = await chatCompletion(
      endpoint,
      {
        model: endpoint.model,
        messages: conversation(data),
        ...(data.temperature !== undefined && { temperature: data.temperature }),
        ...(data.max_tokens !== undefined && { max_tokens: data.max_tokens }),
        ...(format.param && { response_format: format.param }),
      },
      ctx,
    );
    const result = parseAnswer(reply.content, reply.finish_reason, format);
    return { output: { result, model: reply.model, usage: reply.usage, finish_reason: reply.finish_reason } };
  },
});
