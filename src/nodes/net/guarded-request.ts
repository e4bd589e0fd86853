import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { NodeError } from '../node-error';
import { assertHostAllowed, createGuardedLookup } from './address-guard';

/** What {@link guardedRequest} needs. */
export interface GuardedRequestOptions {
  method: string;
  url: URL;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body?: Buffer;
  /** `HTTP_ALLOWED_HOSTS` entries: hosts / IPs / CIDRs exempt from the address guard. */
  allowedHosts: readonly string[];
  /** Limit for each request of a redirect chain, from connect to the last body byte. */
  timeoutMs: number;
  /** Cancels the request (run cancelled, activity timed out); its `reason` is rethrown. */
  signal?: AbortSignal;
  followRedirects: boolean;
  maxRedirects: number;
  /** Largest (decoded) response body accepted. */
  maxResponseBytes: number;
  onRedirect?: (from: URL, to: URL, status: number) => void;
}

/** A complete response (body buffered and decoded from gzip/deflate/br). */
export interface GuardedResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: URL;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/**
 * The only headers a redirect to another origin keeps. Everything else may carry a credential —
 * not only Authorization and Cookie but X-Api-Key, X-Auth-Token, a vendor's own header — and an
 * allow-list cannot miss one.
 */
export const CROSS_ORIGIN_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'content-language',
  'content-type',
  'pragma',
  'user-agent',
]);
const TLS_CONFIG_ERRORS =
  /^(CERT_|ERR_TLS_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_)/;

/** `scheme://host/path?key=***`: for logs and error messages, which must not carry credentials or query values. */
export function redactUrl(url: URL): string {
  const query = [...url.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=***`).join('&');
  return `${url.protocol}//${url.host}${url.pathname}${query ? `?${query}` : ''}`;
}

/** The body as text, in the charset the content-type names (UTF-8 when it names none or an unknown one). */
export function responseText(res: Pick<GuardedResponse, 'headers' | 'body'>): string {
  const charset = /charset="?([^";\s]+)/i.exec(res.headers['content-type'] ?? '')?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(res.body);
  } catch {
    return res.body.toString('utf8');
  }
}

/**
 * Sends an HTTP(S) request through the address guard and buffers the response.
 *
 * Every hop of a redirect chain is checked again (scheme, IP literal, resolved address), a
 * redirect to another origin keeps only {@link CROSS_ORIGIN_HEADERS} (for the rest of the chain),
 * and 303 (or 301/302 after a POST) continues as GET without body, as browsers do.
 * @throws NodeError — retryable for network failures and timeouts; non-retryable for refused
 * addresses, bad URLs, TLS certificate problems, too many redirects and too large responses.
 * Rethrows `signal.reason` when cancelled.
 */
export async function guardedRequest(opts: GuardedRequestOptions): Promise<GuardedResponse> {
  let { url, method, body } = opts;
  const headers = { ...opts.headers };
  for (let redirects = 0; ; redirects++) {
    const res = await send(url, method, headers, body, opts);
    const location = res.headers.location;
    if (!opts.followRedirects || !REDIRECTS.has(res.status) || !location) return res;
    if (redirects >= opts.maxRedirects) {
      throw new NodeError(
        `Too many redirects (more than ${opts.maxRedirects}) starting at ${redactUrl(opts.url)}`,
        {
          retryable: false,
          type: 'TooManyRedirects',
        },
      );
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new NodeError(`Invalid redirect location from ${redactUrl(url)}`, {
        retryable: false,
        type: 'InvalidUrl',
      });
    }
    opts.onRedirect?.(url, next, res.status);
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      if (method !== 'HEAD') method = 'GET';
      body = undefined;
      delete headers['content-type'];
      delete headers['content-length'];
    }
    if (next.origin !== url.origin) {
      for (const h of Object.keys(headers)) if (!CROSS_ORIGIN_HEADERS.has(h.toLowerCase())) delete headers[h];
    }
    url = next;
  }
}

async function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  opts: GuardedRequestOptions,
): Promise<GuardedResponse> {
  assertHostAllowed(url, opts.allowedHosts);
  opts.signal?.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, opts.timeoutMs);
  const cancel = () => controller.abort();
  opts.signal?.addEventListener('abort', cancel, { once: true });
  try {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? https : http).request(
        {
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          method,
          headers: body ? { ...headers, 'content-length': String(body.length) } : headers,
          auth: url.username
            ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
            : undefined,
          // No shared agent: a pooled socket must never be reused past the guard.
          agent: false,
          lookup: createGuardedLookup(opts.allowedHosts),
          signal: controller.signal,
        },
        resolve,
      );
      req.on('error', reject);
      req.end(body);
    });
    const status = res.statusCode ?? 0;
    const base = { status, statusText: res.statusMessage ?? '', headers: res.headers, url };
    if (opts.followRedirects && REDIRECTS.has(status) && res.headers.location) {
      res.destroy();
      return { ...base, body: Buffer.alloc(0) };
    }
    return { ...base, body: await readBody(res, opts.maxResponseBytes, url) };
  } catch (err) {
    if (err instanceof NodeError) throw err;
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    const target = `${method} ${redactUrl(url)}`;
    if (timedOut) {
      throw new NodeError(`${target} timed out after ${opts.timeoutMs} ms`, {
        retryable: true,
        type: 'Timeout',
      });
    }
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const permanent =
      TLS_CONFIG_ERRORS.test(code) || code.startsWith('ERR_INVALID') || code.startsWith('ERR_HTTP_INVALID');
    throw new NodeError(`${target} failed: ${(err as Error).message}`, {
      retryable: !permanent,
      type: permanent ? 'RequestError' : 'NetworkError',
      details: { code: code || undefined },
    });
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', cancel);
  }
}

function decoder(res: IncomingMessage): Readable {
  switch ((res.headers['content-encoding'] ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return res.pipe(zlib.createGunzip());
    case 'deflate':
      return res.pipe(zlib.createInflate());
    case 'br':
      return res.pipe(zlib.createBrotliDecompress());
    default:
      return res;
  }
}

async function readBody(res: IncomingMessage, limit: number, url: URL): Promise<Buffer> {
  const tooLarge = () => {
    res.destroy();
    return new NodeError(`Response from ${redactUrl(url)} is larger than the ${limit} byte limit`, {
      retryable: false,
      type: 'ResponseTooLarge',
      details: { limit_bytes: limit },
    });
  };
  if (Number(res.headers['content-length']) > limit && !res.headers['content-encoding']) throw tooLarge();
  const stream = decoder(res);
  // pipe() does not forward errors: a reset connection must still end the decoded stream.
  if (stream !== res) res.on('error', (e) => stream.destroy(e));
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      stream.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
