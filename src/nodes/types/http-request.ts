import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineNode, NodeError, type NodeContext } from '../node-definition';
import { guardedRequest, redactUrl, type GuardedResponse } from '../net/guarded-request';
import { intOrTemplate, isTemplate, templateString } from '../schema-helpers';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const MAX_REQUEST_TIMEOUT_MS = 600_000;
const MAX_REDIRECTS = 5;
/** Responses above this (after decompression) fail instead of filling the worker's memory and Temporal history. */
export const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** A server cannot park a run for longer than this through `Retry-After`. */
const MAX_RETRY_AFTER_MS = 3_600_000;
const EXCERPT_CHARS = 1_000;
/** How often the node heartbeats while the request is in flight, from connect to the last body byte. */
const HEARTBEAT_INTERVAL_MS = 1_000;
/**
 * The activity's heartbeat timeout: a worker that dies mid-request is noticed after this long,
 * not after the whole node timeout, and the call is retried on another worker.
 */
export const HEARTBEAT_TIMEOUT_MS = 10_000;

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const method = z.preprocess(
  (v) => (typeof v === 'string' && !isTemplate(v) ? v.trim().toUpperCase() : v),
  z.union([z.enum(METHODS), templateString]),
);
const bool = z.union([z.boolean(), templateString]);

/** Data of an `http-request` node as stored in a flow (strings may hold `{{ }}` templates). */
const dataSchema = z
  .object({
    method: method.default('GET').describe(`One of ${METHODS.join(', ')}`),
    url: z
      .string()
      .trim()
      .min(1, 'URL is required')
      .describe('http(s) URL; private addresses need HTTP_ALLOWED_HOSTS'),
    headers: z.record(scalar).optional(),
    query: z
      .record(z.union([scalar, z.null(), z.array(scalar)]))
      .optional()
      .describe('Appended to the URL; arrays repeat the key, null is skipped'),
    body: z.unknown().optional(),
    body_type: z
      .enum(['json', 'text', 'form'])
      .optional()
      .describe('Default: json for objects and arrays, text for strings'),
    timeout_ms: intOrTemplate(1, 'Must be a positive integer (milliseconds) or a {{ }} template')
      .optional()
      .describe(`Per request, default ${DEFAULT_REQUEST_TIMEOUT_MS}`),
    idempotency_key: z
      .union([z.string().min(1).max(255), z.boolean()])
      .optional()
      .describe(
        'Sent as Idempotency-Key; true derives a key from the run and node that is stable across retries',
      ),
    follow_redirects: bool.default(true).describe(`Follow up to ${MAX_REDIRECTS} redirects`),
    response_type: z
      .enum(['auto', 'json', 'text'])
      .default('auto')
      .describe('auto: JSON when the content-type says so, else text'),
  })
  .strict();

/** The same data after rendering: concrete values only. */
const renderedSchema = dataSchema.extend({
  method: z
    .preprocess((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v), z.enum(METHODS))
    .default('GET'),
  timeout_ms: z.number().int().min(1).max(MAX_REQUEST_TIMEOUT_MS).optional(),
  follow_redirects: z.boolean().default(true),
});

type RenderedData = z.infer<typeof renderedSchema>;

/** Parses a `Retry-After` header (delay in seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}

function idempotencyKey(data: RenderedData, ctx: NodeContext): string | undefined {
  if (typeof data.idempotency_key === 'string') return data.idempotency_key;
  if (data.idempotency_key !== true) return undefined;
  const digest = createHash('sha256').update(`${ctx.executionId}\u0000${ctx.nodeId}`).digest('hex');
  return `${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
}

function encodeBody(data: RenderedData, headers: Record<string, string>): Buffer | undefined {
  const { body } = data;
  if (body === undefined || body === null || data.method === 'HEAD') return undefined;
  const type = data.body_type ?? (typeof body === 'string' ? 'text' : 'json');
  let text: string;
  let contentType: string;
  if (type === 'form') {
    if (typeof body === 'string') text = body;
    else if (typeof body === 'object' && !Array.isArray(body)) {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
        for (const item of Array.isArray(v) ? v : [v]) {
          if (item !== undefined && item !== null)
            form.append(k, typeof item === 'object' ? JSON.stringify(item) : String(item));
        }
      }
      text = form.toString();
    } else {
      throw new NodeError('A form body must be an object or a string', {
        retryable: false,
        type: 'InvalidConfig',
      });
    }
    contentType = 'application/x-www-form-urlencoded';
  } else if (type === 'text') {
    text = typeof body === 'string' ? body : JSON.stringify(body);
    contentType = 'text/plain; charset=utf-8';
  } else {
    text = JSON.stringify(body);
    contentType = 'application/json';
  }
  headers['content-type'] ??= contentType;
  return Buffer.from(text, 'utf8');
}

function decodeText(res: GuardedResponse): string {
  const charset = /charset="?([^";\s]+)/i.exec(res.headers['content-type'] ?? '')?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(res.body);
  } catch {
    return res.body.toString('utf8');
  }
}

function isJsonType(contentType: string | undefined): boolean {
  return /^(application|text)\/([\w.+-]*\+)?json\b/i.test((contentType ?? '').trim());
}

function parseResult(res: GuardedResponse, data: RenderedData, ctx: NodeContext): unknown {
  const wantJson =
    data.response_type === 'json' ||
    (data.response_type === 'auto' && isJsonType(res.headers['content-type']));
  const text = decodeText(res);
  if (!wantJson) return text;
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch {
    if (data.response_type === 'json') {
      throw new NodeError(`Response from ${redactUrl(res.url)} is not valid JSON`, {
        retryable: false,
        type: 'InvalidResponse',
        details: { status: res.status, body: text.slice(0, EXCERPT_CHARS) },
      });
    }
    ctx.log('warn', 'Response says it is JSON but does not parse; returning it as text', {
      url: redactUrl(res.url),
    });
    return text;
  }
}

function statusError(res: GuardedResponse, method: string): NodeError {
  const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
  const nextRetryDelayMs = retryable ? parseRetryAfter(res.headers['retry-after']) : undefined;
  return new NodeError(
    `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}: ${method} ${redactUrl(res.url)}`,
    {
      retryable,
      type: 'HttpError',
      nextRetryDelayMs,
      details: {
        status: res.status,
        status_text: res.statusText,
        url: redactUrl(res.url),
        body: decodeText(res).slice(0, EXCERPT_CHARS),
        ...(nextRetryDelayMs !== undefined && { retry_after_ms: nextRetryDelayMs }),
      },
    },
  );
}

/** Calls an HTTP(S) endpoint through the private-address guard. */
export const httpRequestNode = defineNode({
  type: 'http-request',
  aliases: ['http_request', 'http'],
  name: 'HTTP Request',
  category: 'core',
  description:
    'Sends an HTTP request and outputs the parsed response body as `result`, with `status`, `headers` and the final `url`. ' +
    '5xx, 408 and 429 responses and network errors are retried (honouring Retry-After); other 4xx fail at once. ' +
    'Private, loopback and link-local addresses (e.g. cloud metadata) are refused unless listed in HTTP_ALLOWED_HOSTS.',
  kind: 'activity',
  ports: ['default'],
  dataSchema,
  outputSchema: z.object({
    result: z.unknown().describe('Parsed JSON, or text'),
    status: z.number().int(),
    headers: z.record(z.union([z.string(), z.array(z.string())])),
    url: z.string().describe('The URL that answered, after redirects'),
  }),
  defaults: {
    timeout_ms: 60_000,
    retry: { max_attempts: 3, initial_interval_ms: 1_000, backoff_coefficient: 2 },
    heartbeat_ms: HEARTBEAT_TIMEOUT_MS,
  },
  example: {
    method: 'GET',
    url: 'https://api.example.com/items',
    query: { page: 1 },
    headers: { Accept: 'application/json' },
    follow_redirects: true,
    response_type: 'auto',
  },
  async execute(raw, ctx) {
    const parsed = renderedSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`);
      throw new NodeError(`Invalid http-request data: ${issues.join('; ')}`, {
        retryable: false,
        type: 'InvalidConfig',
      });
    }
    const data = parsed.data;
    let url: URL;
    try {
      url = new URL(data.url);
    } catch {
      throw new NodeError(`Invalid URL: ${data.url.slice(0, 200)}`, { retryable: false, type: 'InvalidUrl' });
    }
    for (const [key, value] of Object.entries(data.query ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item !== null) url.searchParams.append(key, String(item));
      }
    }

    const headers: Record<string, string> = {
      'user-agent': 'temporal-flows',
      accept: 'application/json, text/plain;q=0.9, */*;q=0.8',
      'accept-encoding': 'gzip, deflate, br',
    };
    for (const [k, v] of Object.entries(data.headers ?? {})) headers[k.toLowerCase()] = String(v);
    const key = idempotencyKey(data, ctx);
    if (key) headers['idempotency-key'] = key;
    const body = encodeBody(data, headers);

    const started = Date.now();
    const heartbeat = setInterval(() => ctx.heartbeat(), HEARTBEAT_INTERVAL_MS);
    let res: GuardedResponse;
    try {
      res = await guardedRequest({
        method: data.method,
        url,
        headers,
        body,
        allowedHosts: ctx.services.httpAllowedHosts,
        timeoutMs: data.timeout_ms ?? DEFAULT_REQUEST_TIMEOUT_MS,
        signal: ctx.signal,
        followRedirects: data.follow_redirects,
        maxRedirects: MAX_REDIRECTS,
        maxResponseBytes: MAX_RESPONSE_BYTES,
        onRedirect: (from, to, status) =>
          ctx.log('debug', `Redirect ${status} to ${redactUrl(to)}`, {
            from: redactUrl(from),
            to: redactUrl(to),
            status,
          }),
      });
    } catch (err) {
      const duration_ms = Date.now() - started;
      ctx.log(
        'warn',
        `${data.method} ${redactUrl(url)} failed after ${duration_ms} ms: ${(err as Error).message}`,
        {
          method: data.method,
          url: redactUrl(url),
          duration_ms,
        },
      );
      throw err;
    } finally {
      clearInterval(heartbeat);
    }

    const duration_ms = Date.now() - started;
    ctx.log(
      res.status >= 400 ? 'warn' : 'info',
      `${data.method} ${redactUrl(url)} → ${res.status} (${duration_ms} ms)`,
      {
        method: data.method,
        url: redactUrl(url),
        status: res.status,
        duration_ms,
      },
    );
    if (res.status >= 400) throw statusError(res, data.method);
    return {
      output: {
        result: data.method === 'HEAD' ? null : parseResult(res, data, ctx),
        status: res.status,
        headers: res.headers as Record<string, string | string[]>,
        url: res.url.toString(),
      },
    };
  },
});
