import { NodeError, type NodeContext } from '../node-definition';
import { guardedRequest, redactUrl, responseText, type GuardedResponse } from './guarded-request';
import { ERROR_BODY_EXCERPT_CHARS, httpStatusError } from './http-errors';

/** Methods an HTTP call may use. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const MAX_REQUEST_TIMEOUT_MS = 600_000;
export const MAX_REDIRECTS = 5;
/** Responses above this (after decompression) fail instead of filling the worker's memory and Temporal history. */
export const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

type Scalar = string | number | boolean;

/** One HTTP call as a node describes it, with concrete (rendered) values. */
export interface HttpCall {
  method: (typeof HTTP_METHODS)[number];
  url: string;
  headers?: Record<string, Scalar>;
  /** Appended to the URL; arrays repeat the key, null is skipped. */
  query?: Record<string, Scalar | null | Scalar[]>;
  body?: unknown;
  /** Default: json for objects and arrays, text for strings. */
  body_type?: 'json' | 'text' | 'form';
  timeout_ms?: number;
  follow_redirects: boolean;
  /** auto: JSON when the content-type says so, else text. */
  response_type: 'auto' | 'json' | 'text';
}

/** What a successful call outputs (the http-request node's output). */
export interface HttpCallOutput {
  [key: string]: unknown;
  result: unknown;
  status: number;
  headers: Record<string, string | string[]>;
  url: string;
}

function encodeBody(call: HttpCall, headers: Record<string, string>): Buffer | undefined {
  const { body } = call;
  if (body === undefined || body === null || call.method === 'HEAD') return undefined;
  const type = call.body_type ?? (typeof body === 'string' ? 'text' : 'json');
  let text: string;
  let contentType: string;
  if (type === 'form') {
    if (typeof body === 'string') text = body;
    else if (typeof body === 'object' && !Array.isArray(body)) {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
        for (const item of Array.isArray(v) ? v : [v]) {
          if (item !== undefined && item !== null) form.append(k, typeof item === 'object' ? JSON.stringify(item) : String(item));
        }
      }
      text = form.toString();
    } else {
      throw new NodeError('A form body must be an object or a string', { retryable: false, type: 'InvalidConfig' });
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

function isJsonType(contentType: string | undefined): boolean {
  return /^(application|text)\/([\w.+-]*\+)?json\b/i.test((contentType ?? '').trim());
}

function parseResult(res: GuardedResponse, call: HttpCall, ctx: NodeContext): unknown {
  const wantJson = call.response_type === 'json' || (call.response_type === 'auto' && isJsonType(res.headers['content-type']));
  const text = responseText(res);
  if (!wantJson) return text;
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch {
    if (call.response_type === 'json') {
      throw new NodeError(`Response from ${redactUrl(res.url)} is not valid JSON`, {
        retryable: false,
        type: 'InvalidResponse',
        details: { status: res.status, body: text.slice(0, ERROR_BODY_EXCERPT_CHARS) },
      });
    }
    ctx.log('warn', 'Response says it is JSON but does not parse; returning it as text', { url: redactUrl(res.url) });
    return text;
  }
}

/**
 * Sends one HTTP call through the private-address guard and parses the response. A failed status
 * throws {@link httpStatusError}; network failures throw guardedRequest's NodeErrors. Logs method,
 * URL (query values redacted), status and duration; never headers or bodies.
 * @param extraHeaders set after the call's own headers, so they win (idempotency key, credentials)
 */
export async function callHttp(call: HttpCall, ctx: NodeContext, extraHeaders: Record<string, string> = {}): Promise<HttpCallOutput> {
  let url: URL;
  try {
    url = new URL(call.url);
  } catch {
    throw new NodeError(`Invalid URL: ${call.url.slice(0, 200)}`, { retryable: false, type: 'InvalidUrl' });
  }
  for (const [key, value] of Object.entries(call.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== null) url.searchParams.append(key, String(item));
    }
  }

  const headers: Record<string, string> = {
    'user-agent': 'temporal-flows',
    accept: 'application/json, text/plain;q=0.9, */*;q=0.8',
    'accept-encoding': 'gzip, deflate, br',
  };
  for (const [k, v] of Object.entries(call.headers ?? {})) headers[k.toLowerCase()] = String(v);
  for (const [k, v] of Object.entries(extraHeaders)) headers[k.toLowerCase()] = v;
  const body = encodeBody(call, headers);

  const target = `${call.method} ${redactUrl(url)}`;
  const started = Date.now();
  let res: GuardedResponse;
  try {
    res = await guardedRequest({
      method: call.method,
      url,
      headers,
      body,
      allowedHosts: ctx.services.httpAllowedHosts,
      timeoutMs: call.timeout_ms ?? DEFAULT_REQUEST_TIMEOUT_MS,
      signal: ctx.signal,
      followRedirects: call.follow_redirects,
      maxRedirects: MAX_REDIRECTS,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      onRedirect: (from, to, status) =>
        ctx.log('debug', `Redirect ${status} to ${redactUrl(to)}`, { from: redactUrl(from), to: redactUrl(to), status }),
    });
  } catch (err) {
    const duration_ms = Date.now() - started;
    ctx.log('warn', `${target} failed after ${duration_ms} ms: ${(err as Error).message}`, {
      method: call.method,
      url: redactUrl(url),
      duration_ms,
    });
    throw err;
  }

  const duration_ms = Date.now() - started;
  ctx.log(res.status >= 400 ? 'warn' : 'info', `${target} → ${res.status} (${duration_ms} ms)`, {
    method: call.method,
    url: redactUrl(url),
    status: res.status,
    duration_ms,
  });
  if (res.status >= 400) throw httpStatusError(res, { method: call.method });
  return {
    result: call.method === 'HEAD' ? null : parseResult(res, call, ctx),
    status: res.status,
    headers: res.headers as Record<string, string | string[]>,
    url: res.url.toString(),
  };
}
