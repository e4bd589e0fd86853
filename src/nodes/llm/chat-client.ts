import OpenAI from 'openai';
import type { ChatMessage, ChatUsage } from '../../shared/agent';
import { NodeError, type NodeContext } from '../node-definition';
import { guardedFetch } from '../net/guarded-fetch';
import { redactUrl, type GuardedResponse } from '../net/guarded-request';
import { ERROR_BODY_EXCERPT_CHARS, httpStatusError } from '../net/http-errors';
import type { LlmEndpoint } from './providers';

/** One chat completion may generate for minutes; the activity timeout (or a node's own) cuts it shorter. */
export const LLM_REQUEST_TIMEOUT_MS = 300_000;
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
const DEBUG_PROMPT_CHARS = 200;
/** The SDK needs some key; this one is never sent (the transport drops Authorization without a real key). */
const NO_KEY = 'no-key';
/** Request headers a model call sends: the SDK's platform headers (and OPENAI_CUSTOM_HEADERS, which it reads itself) stay home. */
const SENT_HEADERS = new Set(['content-type', 'accept', 'user-agent', 'authorization', 'openai-organization']);

/** A tool the model may call, as the chat-completions API describes it. */
export interface ChatToolSpec {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

/** One chat-completions request (rendered values). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  max_tokens?: number;
  response_format?: Record<string, unknown>;
  tools?: ChatToolSpec[];
}

/** What one call answered. */
export interface ChatReply {
  message: Extract<ChatMessage, { role: 'assistant' }>;
  /** The answer as text (content parts joined). */
  content: string;
  model: string;
  usage: ChatUsage | null;
  finish_reason: string | null;
}

/** Removes every occurrence of the API key from text that comes back from the provider. */
function redact(value: string, apiKey: string | undefined): string {
  return apiKey ? value.split(apiKey).join('***') : value;
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
    return content.map((part) => (typeof part === 'string' ? part : ((part as { text?: unknown })?.text ?? ''))).join('');
  }
  return '';
}

function baseUrlOf(endpoint: LlmEndpoint): string {
  let url: URL;
  try {
    url = new URL(endpoint.baseUrl);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NodeError('The LLM base URL is not a valid http(s) URL', { retryable: false, type: 'InvalidConfig' });
  }
  return url.href.replace(/\/+$/, '');
}

function invalidResponse(res: GuardedResponse | undefined, apiKey: string | undefined): NodeError {
  return new NodeError(
    `The LLM endpoint ${res ? redactUrl(res.url) : ''} did not answer with a chat completion; is the base URL OpenAI-compatible?`,
    {
      retryable: false,
      type: 'InvalidLlmResponse',
      details: res && { status: res.status, body: redact(res.body.toString('utf8'), apiKey).slice(0, ERROR_BODY_EXCERPT_CHARS) },
    },
  );
}

/**
 * Sends one chat completion through the official `openai` SDK, over {@link guardedFetch} (the
 * private-address guard, `HTTP_ALLOWED_HOSTS`). The SDK never retries and never reads `OPENAI_*`
 * variables: Temporal's retry policy is the only one, and src/config.ts the only reader of the
 * environment. Failures become NodeErrors with the shared HTTP rules (http-errors.ts): 408, 429
 * and 5xx retryable with the provider's `Retry-After`, other 4xx not; the key never appears.
 */
export async function chatCompletion(
  endpoint: LlmEndpoint,
  request: ChatRequest,
  ctx: Pick<NodeContext, 'services' | 'signal' | 'log'>,
): Promise<ChatReply> {
  const { apiKey } = endpoint;
  const transport = guardedFetch({
    allowedHosts: ctx.services.httpAllowedHosts,
    timeoutMs: LLM_REQUEST_TIMEOUT_MS,
    maxResponseBytes: MAX_RESPONSE_BYTES,
    sendHeader: (name) => SENT_HEADERS.has(name) && (name !== 'authorization' || Boolean(apiKey)),
  });
  const client = new OpenAI({
    baseURL: baseUrlOf(endpoint),
    apiKey: apiKey || NO_KEY,
    organization: endpoint.organization ?? null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    maxRetries: 0,
    timeout: LLM_REQUEST_TIMEOUT_MS,
    fetch: transport,
    logLevel: 'off',
  });
  const prompt = request.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
  ctx.log('debug', `LLM prompt (${prompt.length} chars): ${prompt.slice(0, DEBUG_PROMPT_CHARS)}`, { model: request.model });
  const started = Date.now();
  let completion: unknown;
  try {
    completion = await client.chat.completions.create(request as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming, {
      signal: ctx.signal,
    });
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? err;
    const res = transport.lastResponse;
    if (err instanceof OpenAI.APIError && err.status && res && res.status === err.status) {
      const duration_ms = Date.now() - started;
      ctx.log('warn', `LLM ${request.model} → HTTP ${res.status} (${duration_ms} ms)`, { model: request.model, status: res.status, duration_ms });
      throw statusError(res, apiKey);
    }
    if (transport.lastFailure instanceof NodeError) throw transport.lastFailure;
    if (err instanceof SyntaxError) throw invalidResponse(res, apiKey);
    throw new NodeError(`LLM request failed: ${redact((err as Error).message, apiKey)}`, { retryable: true, type: 'LlmError' });
  }
  const duration_ms = Date.now() - started;
  const parsed = (completion && typeof completion === 'object' ? completion : {}) as {
    model?: string;
    usage?: ChatUsage | null;
    choices?: { message?: { content?: unknown; tool_calls?: unknown }; finish_reason?: string | null }[];
  };
  const choice = Array.isArray(parsed.choices) ? parsed.choices[0] : undefined;
  if (!choice || typeof choice !== 'object') throw invalidResponse(transport.lastResponse, apiKey);
  const content = contentText(choice.message?.content);
  const toolCalls = Array.isArray(choice.message?.tool_calls) ? (choice.message.tool_calls as ChatReply['message']['tool_calls']) : undefined;
  const model = parsed.model ?? request.model;
  const finish_reason = choice.finish_reason ?? null;
  const usage = parsed.usage ?? null;
  ctx.log('info', `LLM ${model} answered in ${duration_ms} ms (${finish_reason ?? 'no finish reason'})`, {
    model,
    duration_ms,
    finish_reason,
    prompt_chars: prompt.length,
    usage,
    ...(toolCalls?.length ? { tool_calls: toolCalls.map((c) => c.function?.name) } : {}),
  });
  const message: ChatReply['message'] = { role: 'assistant', content: choice.message?.content == null ? null : content };
  if (toolCalls?.length) message.tool_calls = toolCalls;
  return { message, content, model, usage, finish_reason };
}
