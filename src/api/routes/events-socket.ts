import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Request } from 'express';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../../config';
import type { RunService } from '../../services/run-service';
import type { Repos } from '../../storage';
import { actorOf } from '../actor';
import { ApiError, forbidden, notFound } from '../errors';
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

function reject(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify({ error: { code: err.code, message: err.message } });
  socket.end(
    `HTTP/1.1 ${err.status} ${err.code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${err.status === 401 ? 'WWW-Authenticate: Bearer\r\n' : ''}Connection: close\r\n\r\n${body}`,
  );
}

/**
 * `GET /api/v1/ws/executions/{id}` (WebSocket): the same live events as the SSE stream, one JSON
 * text message each; the server closes with 1000 after the terminal event. Credentials come as
 * for the REST API (`Authorization`, `X-API-Key`) or as `?token=` (browsers cannot set headers on
 * a WebSocket); the `read` scope is required. Refusals are plain HTTP answers to the upgrade
 * request (401, 403, 404) with the API's error body. Returns a function that closes every socket.
 */
export function attachEventSocket(server: Server, deps: EventSocketDeps): () => Promise<void> {
  const wss = new WebSocketServer({ noServer: true });
  const authenticate = createAuthenticate({ config: deps.config, repos: deps.repos });

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
  ): Promise<void> {
    await authorize(req, token);
    const r = req as Request;
    if (!r.principal || !hasScope(r.principal, 'read')) throw forbidden('missing scope read');
    if (!isUuid(id)) throw notFound('execution');
    const watch = await deps.runs.openWatch(actorOf(r), id);
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const abort = new AbortController();
      const ping = setInterval(() => ws.ping(), PING_MS);
      ws.on('close', () => {
        clearInterval(ping);
        abort.abort();
      });
      ws.on('error', () => abort.abort());
      watch((e) => ws.send(JSON.stringify(e)), abort.signal).then(
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
    if (!match) return reject(socket, notFound(`no route for ${url.pathname}`));
    upgrade(req, socket, head, decodeURIComponent(match[1]), url.searchParams.get('token')).catch((err) => {
      if (err instanceof ApiError) return reject(socket, err);
      deps.logger.error({ err }, 'live event socket upgrade failed');
      reject(socket, new ApiError(500, 'INTERNAL_ERROR', 'internal error'));
    });
  });

  return async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
