import { guardedRequest, type GuardedResponse } from './guarded-request';

/** What {@link guardedFetch} needs. */
export interface GuardedFetchOptions {
  /** `HTTP_ALLOWED_HOSTS` entries. */
  allowedHosts: readonly string[];
  /** Limit of one request, from connect to the last body byte. */
  timeoutMs: number;
  maxResponseBytes: number;
  /** Which request headers are sent (lower-case names); default all. */
  sendHeader?: (name: string) => boolean;
}

/** A `fetch` whose last answer and failure can be read back after the client that used it gave up. */
export interface GuardedFetch {
  (input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** The last complete response, whatever its status. */
  lastResponse?: GuardedResponse;
  /** The last error the request itself threw (a NodeError: refused address, timeout, network). */
  lastFailure?: unknown;
}

// Bodies already decoded by guardedRequest: these would describe the wire, not what Response holds.
const DROPPED_RESPONSE_HEADERS = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection']);
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function bodyBuffer(body: RequestInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString(), 'utf8');
  throw new TypeError('guardedFetch sends string and byte bodies only');
}

/**
 * A WHATWG `fetch` for SDKs (the openai client) that sends every request through
 * {@link guardedRequest}: the private-address guard, no redirects, a response size limit. The
 * SDK keeps its request building and parsing; the platform keeps control of where it connects.
 */
export function guardedFetch(opts: GuardedFetchOptions): GuardedFetch {
  const fetcher: GuardedFetch = async (input, init = {}) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      if (!opts.sendHeader || opts.sendHeader(name)) headers[name] = value;
    });
    let res: GuardedResponse;
    try {
      res = await guardedRequest({
        method: (init.method ?? 'GET').toUpperCase(),
        url,
        headers,
        body: bodyBuffer(init.body),
        allowedHosts: opts.allowedHosts,
        timeoutMs: opts.timeoutMs,
        signal: init.signal ?? undefined,
        followRedirects: false,
        maxRedirects: 0,
        maxResponseBytes: opts.maxResponseBytes,
      });
    } catch (err) {
      fetcher.lastFailure = err;
      throw err;
    }
    fetcher.lastResponse = res;
    const out = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name)) continue;
      for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
    }
    const status = res.status >= 200 && res.status <= 599 ? res.status : 502;
    return new Response(NULL_BODY_STATUSES.has(status) ? null : res.body, { status, statusText: res.statusText, headers: out });
  };
  return fetcher;
}
