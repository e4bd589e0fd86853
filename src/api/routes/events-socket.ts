import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Request } from 'express';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../../config';
import type { RunService } from '../../services/run-service';
import type { Repos } from '../../storage';
import { actorOf } from '../actor';
import { ApiError, forbidden, notFound, toApiError } from '../errors';
import { liveConnectionLimit, tooManyLiveConnections } from '../live-connection-limit';
import { apiRateCounter, apiRateLimitKey } from '../middleware/api-rate-limit';
import { createAuthenticate, hasScope } from '../middleware/authenticate';
import { isUuid } from '../validate';

/** Path of the live event socket of one run. */
const SOCKET_PATH = /^\/api\/v1\/ws\/executions\/([^/]+)\/?$/;
const PING_MS = 15_000;

/** What the socket endpoint needs. */
export interface EventSocketDeps {
  config: Config;
  repos: Repos;
  runs: RunService;
  logger: Logger;
}

function reject(socket: Duplex, err: ApiError, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { code: err.code, message: err.message } });
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${err.status} ${err.code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${err.status === 401 ? 'WWW-Authenticate: Bearer\r\n' : ''}${extra}Connection: close\r\n\r\n${body}`,
  );
}

/**
 * `GET /api/v1/ws/executions/{id}` (WebSocket): the same live events as the SSE stream, one JSON
 * text message each; the server closes with 1000 after the terminal event. Credentials come as
 * for the REST API (`Authorization`, `X-API-Key`) or as `?token=` (browsers cannot set headers on
 * a WebSocket); the `read` scope is required. Each message carries its `cursor`: reconnecting with
 * `?last_event_id=<cursor>` resumes after it. Each upgrade counts against the API-wide rate limit
 * like any request, and a user holds at most `LIVE_CONNECTIONS_PER_USER` live connections (these
 * sockets and SSE streams together). Refusals are plain HTTP answers to the upgrade request (401,
 * 403, 404, 429) with the API's error body. Returns a function that closes every socket.
 */
export function attachEventSocket(server: Server, deps: EventSocketDeps): () => Promise<void> {
  const wss = new WebSocketServer({ noServer: true });
  const authenticate = createAuthenticate({ config: deps.config, repos: deps.repos });
  const rate = apiRateCounter(deps.config);
  const live = liveConnectionLimit(deps.config);

  const authorize = (req: IncomingMessage, token: string | null) =>
    new Promise<void>((resolve, reject) => {
      if (token && !req.headers.authorization && !req.headers['x-api-key'])
        req.headers.authorization = `Bearer ${token}`;
      const res = { setHeader: () => undefined } as unknown as ServerResponse;
      authenticate(req as Request, res as never, (err?: unknown) => (err ? reject(err) : resolve()));
    });

  async function upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    id: string,
    token: string | null,
    resumeFrom: string | null,
  ): Promise<void> {
    const authError = await authorize(req, token).then(
      () => undefined,
      (err: unknown) => err,
    );
    if (authError && (authError as { status?: unknown }).status !== 401) throw authError;
    // As for REST requests: the user's budget, or the address's when the credentials failed.
    const state = rate.hit(apiRateLimitKey(req));
    if (!state.allowed) {
      const retryAfterS = Math.max(1, Math.ceil(state.retryAfterMs / 1000));
      return reject(socket, new ApiError(429, 'RATE_LIMITED', `too many requests; retry in ${retryAfterS} s`), {
        'Retry-After': String(retryAfterS),
        'X-RateLimit-Limit': String(state.limit),
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(Math.ceil(state.resetAtMs / 1000)),
      });
    }
    if (authError) throw authError;
    const r = req as Request;
    if (!r.principal || !hasScope(r.principal, 'read')) throw forbidden('missing scope read');
    if (!isUuid(id)) throw notFound('execution');
    const release = live.acquire(r.principal.user.id);
    if (!release) throw tooManyLiveConnections(live.max);
    // The socket closes however this ends: refused below, handshake failed, or the WebSocket closed.
    socket.once('close', release);
    const watch = await deps.runs.openWatch(actorOf(r), id);
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const abort = new AbortController();
      const ping = setInterval(() => ws.ping(), PING_MS);
      ws.on('close', () => {
        clearInterval(ping);
        abort.abort();
      });
      ws.on('error', () => abort.abort());
      watch((e) => ws.send(JSON.stringify(e)), abort.signal, resumeFrom ?? undefined).then(
        () => ws.close(1000, 'run finished'),
        (err) => {
          deps.logger.warn({ err, execution_id: id }, 'live event socket failed');
          ws.close(1011, 'live event stream failed');
        },
      );
    });
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = SOCKET_PATH.exec(url.pathname);
    if (!match) return reject(socket, toApiError(notFound(`no route for ${url.pathname}`)) as ApiError);
    upgrade(req, socket, head, decodeURIComponent(match[1]), url.searchParams.get('token'), url.searchParams.get('last_event_id')).catch((err) => {
      const known = toApiError(err);
      if (known) return reject(socket, known);
      deps.logger.error({ err }, 'live event socket upgrade failed');
      reject(socket, new ApiError(500, 'INTERNAL_ERROR', 'internal error'));
    });
  });

  return async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
