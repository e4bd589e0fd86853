import { z } from 'zod';
import { credentialData, credentialField } from '../credentials';
import { defineNode, NodeError, type NodeContext } from '../node-definition';
import { guardedRequest, redactUrl, type GuardedResponse } from '../net/guarded-request';
import { ERROR_BODY_EXCERPT_CHARS, httpStatusError } from '../net/http-errors';
import { intOrTemplate, templateString } from '../schema-helpers';

/** One chat completion may stream for minutes; the activity timeout (or a node's own) cuts it shorter. */
const REQUEST_TIMEOUT_MS = 300_000;
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
const DEBUG_PROMPT_CHARS = 200;

/** A rendered `{{ }}` template may give an object, array or number: the model gets it as JSON. */
function asText(value: unknown): unknown {
  if (value === null || value === undefined || typeof value === 'string') return value;
  return typeof value === 'object' ? JSON.stringify(value, null, 2) : String(value);
}

/** A template that rendered into a string such as "0.5" still counts as a number. */
const numeric = (v: unknown) =>
  typeof v === 'string' && v.trim() !== '' && !isNaN(Number(v)) ? Number(v) : v;

const text = (required: string) => z.preprocess(asText, z.string().min(1, required));

/** Data of an `llm` node as stored in a flow (strings may hold `{{ }}` templates). */
const dataSchema = z
  .object({
    prompt: text('Prompt is required').describe(
      'User message; a template giving an object or array is sent as JSON',
    ),
    system: z.preprocess(asText, z.string()).optional().describe('System message (an empty one is not sent)'),
    model: z.string().trim().min(1).optional().describe('Model name; default LLM_MODEL'),
    temperature: z
      .preprocess(
        numeric,
        z.union([z.number().min(0).max(2), templateString], {
          errorMap: () => ({ message: 'Must be a number from 0 to 2 or a {{ }} template' }),
        }),
      )
      .optional()
      .describe('Sampling temperature, 0..2'),
    max_tokens: z
      .preprocess(numeric, intOrTemplate(1, 'Must be a positive integer or a {{ }} template'))
      .optional()
      .describe('Upper bound of generated tokens'),
    response_format: z
      .enum(['text', 'json'])
      .default('text')
      .describe('json: ask for a JSON object and output it parsed as `result`'),
    provider: z
      .string()
      .optional()
      .describe(
        'Accepted for compatibility (seed flows) and ignored: every call goes to the credential\'s base_url or LLM_BASE_URL',
      ),
    credential: credentialField(['openai'])
      .optional()
      .describe('Id or name of an openai credential (api_key, base_url, model, organization); default the LLM_* settings'),
  })
  .strict();

/** The same data after rendering: concrete values only. */
const renderedSchema = dataSchema.extend({
  temperature: z.preprocess(numeric, z.number().min(0).max(2)).optional(),
  max_tokens: z.preprocess(numeric, z.number().int().min(1)).optional(),
});

type RenderedData = z.infer<typeof renderedSchema>;

interface ChatCompletion {
  model?: string;
  usage?: Record<string, unknown> | null;
  choices?: { message?: { content?: unknown }; finish_reason?: string | null }[];
}

/** The endpoint a call goes to: the node's credential, or the deployment's LLM_* settings. */
interface Endpoint {
  baseUrl?: string;
  apiKey?: string;
  model: string;
  organization?: string;
  /** The credential it came from, if any (its name, for messages). */
  credential?: string;
}

function endpointOf(ctx: NodeContext): Endpoint {
  const llm = ctx.services.llm;
  const credential = ctx.credential();
  const openai = credentialData(credential, 'openai');
  if (!openai) return { ...llm };
  // The credential's key goes to its own base URL or the deployment's, never the deployment's key to its URL.
  return {
    baseUrl: openai.base_url ?? llm.baseUrl,
    apiKey: openai.api_key,
    model: openai.model ?? llm.model,
    organization: openai.organization,
    credential: credential!.name,
  };
}

/** Removes every occurrence of the API key from text that comes back from the provider. */
function redact(value: string, apiKey: string | undefined): string {
  return apiKey ? value.split(apiKey).join('***') : value;
}

function endpoint(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new NodeError('The LLM base URL is not a valid URL', { retryable: false, type: 'InvalidConfig' });
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
  return url;
}

function requestBody(data: RenderedData, model: string): Record<string, unknown> {
  return {
    model,
    messages: [
      ...(data.system ? [{ role: 'system', content: data.system }] : []),
      { role: 'user', content: data.prompt },
    ],
    ...(data.temperature !== undefined && { temperature: data.temperature }),
    ...(data.max_tokens !== undefined && { max_tokens: data.max_tokens }),
    ...(data.response_format === 'json' && { response_format: { type: 'json_object' } }),
  };
}

function statusError(res: GuardedResponse, apiKey: string | undefined): NodeError {
  const body = redact(res.body.toString('utf8'), apiKey);
  let reason = '';
  try {
    const message = (JSON.parse(body) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string') reason = `: ${message.slice(0, 300)}`;
  } catch {
    // Not JSON: the excerpt in details is all there is.
  }
  return httpStatusError(res, { message: `LLM request failed with HTTP ${res.status}${reason}`, type: 'LlmHttpError', body });
}

/** Message content as text: a string, or the text parts of a content array. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === 'string' ? part : ((part as { text?: unknown })?.text ?? '')))
      .join('');
  }
  return '';
}

/** JSON mode output; models without a native JSON mode often wrap it in a ``` fence. */
function parseJsonContent(content: string, finishReason: string | null): unknown {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/i.exec(content);
  try {
    return JSON.parse(fenced ? fenced[1] : content);
  } catch {
    const truncated = finishReason === 'length';
    // A sampled answer may be valid JSON on the next try; a truncated one will be cut again.
    throw new NodeError(
      truncated
        ? 'The model ran out of tokens before finishing its JSON answer; raise max_tokens'
        : 'The model did not answer with valid JSON',
      {
        retryable: !truncated,
        type: 'InvalidLlmJson',
        details: { finish_reason: finishReason, content: content.slice(0, ERROR_BODY_EXCERPT_CHARS) },
      },
    );
  }
}

function parseCompletion(
  res: GuardedResponse,
  apiKey: string | undefined,
): ChatCompletion & { content: string } {
  let parsed: ChatCompletion;
  try {
    parsed = JSON.parse(res.body.toString('utf8')) as ChatCompletion;
  } catch {
    parsed = {};
  }
  const choice = Array.isArray(parsed?.choices) ? parsed.choices[0] : undefined;
  if (!choice || typeof choice !== 'object') {
    throw new NodeError(
      `The LLM endpoint ${redactUrl(res.url)} did not answer with a chat completion; is the base URL OpenAI-compatible?`,
      {
        retryable: false,
        type: 'InvalidLlmResponse',
        details: {
          status: res.status,
          body: redact(res.body.toString('utf8'), apiKey).slice(0, ERROR_BODY_EXCERPT_CHARS),
        },
      },
    );
  }
  return { ...parsed, content: contentText(choice.message?.content) };
}

async function complete(data: RenderedData, ctx: NodeContext) {
  const { baseUrl, apiKey, organization, credential, ...settings } = endpointOf(ctx);
  if (!baseUrl) {
    const message = credential
      ? `credential "${credential}" has no base_url and LLM_BASE_URL is not configured`
      : 'LLM_BASE_URL is not configured';
    throw new NodeError(message, { retryable: false, type: 'LlmNotConfigured' });
  }
  const url = endpoint(baseUrl);
  const model = data.model ?? settings.model;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': 'temporal-flows',
    ...(apiKey && { authorization: `Bearer ${apiKey}` }),
    ...(organization && { 'openai-organization': organization }),
  };
  ctx.log('debug', `LLM prompt (${data.prompt.length} chars): ${data.prompt.slice(0, DEBUG_PROMPT_CHARS)}`, {
    model,
  });
  const started = Date.now();
  const res = await guardedRequest({
    method: 'POST',
    url,
    headers,
    body: Buffer.from(JSON.stringify(requestBody(data, model)), 'utf8'),
    allowedHosts: ctx.services.httpAllowedHosts,
    timeoutMs: REQUEST_TIMEOUT_MS,
    signal: ctx.signal,
    followRedirects: false,
    maxRedirects: 0,
    maxResponseBytes: MAX_RESPONSE_BYTES,
  });
  const duration_ms = Date.now() - started;
  if (res.status < 200 || res.status >= 300) {
    ctx.log('warn', `LLM ${model} → HTTP ${res.status} (${duration_ms} ms)`, {
      model,
      status: res.status,
      duration_ms,
    });
    throw statusError(res, apiKey);
  }
  const completion = parseCompletion(res, apiKey);
  const finish_reason = completion.choices?.[0]?.finish_reason ?? null;
  const usage = completion.usage ?? null;
  ctx.log(
    'info',
    `LLM ${completion.model ?? model} answered in ${duration_ms} ms (${finish_reason ?? 'no finish reason'})`,
    {
      model: completion.model ?? model,
      duration_ms,
      finish_reason,
      prompt_chars: data.prompt.length,
      usage,
    },
  );
  return { completion, model: completion.model ?? model, usage, finish_reason };
}

/** Asks an OpenAI-compatible chat-completions endpoint (an openai credential's, or LLM_BASE_URL) for an answer. */
export const llmNode = defineNode({
  type: 'llm',
  aliases: ['ai-generate', 'ai_generate', 'ai'],
  name: 'LLM',
  category: 'ai',
  description:
    'Sends `prompt` (and an optional `system` message) to the OpenAI-compatible chat-completions API at ' +
    'LLM_BASE_URL (Bearer LLM_API_KEY, model `model` or LLM_MODEL), or of the openai credential named in `credential`, ' +
    'and outputs the answer as `result` ' +
    '(parsed JSON with `response_format: json`), with `model`, `usage` and `finish_reason`. ' +
    '429, 408 and 5xx responses and network errors are retried (honouring Retry-After); other 4xx fail at once. ' +
    'The LLM host must pass the private-address guard unless listed in HTTP_ALLOWED_HOSTS.',
  kind: 'activity',
  ports: ['default'],
  dataSchema,
  renderedSchema,
  credentials: { types: ['openai'] },
  outputSchema: z.object({
    result: z.unknown().describe('The answer text, or the parsed JSON value with response_format json'),
    model: z.string().describe('The model that answered'),
    usage: z
      .record(z.unknown())
      .nullable()
      .describe('Token counts as the provider reports them (prompt_tokens, completion_tokens, total_tokens)'),
    finish_reason: z.string().nullable().describe('stop, length, content_filter…'),
  }),
  defaults: {
    timeout_ms: REQUEST_TIMEOUT_MS + 10_000,
    heartbeat_ms: 30_000,
    retry: { max_attempts: 4, initial_interval_ms: 2_000, backoff_coefficient: 2 },
  },
  example: {
    prompt: 'Summarise in one sentence: {{ fetch.result }}',
    system: 'You are a concise assistant.',
    temperature: 0.2,
    max_tokens: 300,
    response_format: 'text',
  },
  async execute(data, ctx) {
    const { completion, model, usage, finish_reason } = await complete(data, ctx);
    const result =
      data.response_format === 'json'
        ? parseJsonContent(completion.content, finish_reason)
        : completion.content;
    return { output: { result, model, usage, finish_reason } };
  },
});
