import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Request } from 'express';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../../config';
import type { RunService } from '../../services/run-service';
import type { Repos } from '../../storage';
import type { Actor } from '../../services/actor';
import { actorOf } from '../actor';
import { ApiError, forbidden, notFound, toApiError } from '../errors';
import { liveConnectionLimit, tooManyLiveConnections } from '../live-connection-limit';
import { apiRateCounter, apiRateLimitKey } from '../middleware/api-rate-limit';
import { createAuthenticate, hasScope } from '../middleware/authenticate';
import { MAX_CLIENT_MESSAGE_BYTES, parseClientMessage } from '../socket-messages';
import { isUuid } from '../validate';

/** Path of the live event socket of one run. */
const SOCKET_PATH = /^\/api\/v1\/ws\/executions\/([^/]+)\/?$/;
/** Path of the live event socket of one flow (all its runs; seed 003). */
const FLOW_SOCKET_PATH = /^\/api\/v1\/ws\/workflows\/([^/]+)\/?$/;
const PING_MS = 15_000;

/** What the socket endpoint needs. */
export interface EventSocketDeps {
  config: Config;
  repos: Repos;
  runs: RunService;
  logger: Logger;
}

/** What one socket watches: a run or a flow. */
interface Channel {
  /** The field that names it on every message the server sends. */
  name: { execution_id: string } | { workflow_id: string };
  /** Sends `state_sync`, then the live events, until the end: returns how to close (or undefined: the client left). */
  run(send: (m: object) => void, signal: AbortSignal): Promise<{ code: number; reason: string } | undefined>;
  /** A fresh `state_sync` message (`request_state`). */
  state(): Promise<Record<string, unknown>>;
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
 * The live event sockets, served on the HTTP server's `upgrade` event:
 *
 * - `GET /api/v1/ws/executions/{id}`: the same live events as the SSE stream, one JSON text
 *   message each; the server closes with 1000 after the terminal event. Each message carries its
 *   `cursor`: reconnecting with `?last_event_id=<cursor>` resumes after it.
 * - `GET /api/v1/ws/workflows/{id}` (seed 003): `state_sync` with the flow's state (its unfinished
 *   and newest runs and their nodes), then the node and run events of all its runs as they happen;
 *   it stays open across runs, and closes with 1000 when the flow is deleted.
 *
 * On both, a client may send `{"type": "ping"}` (answered `pong`) and `{"type": "request_state"}`
 * (answered with a fresh `state_sync`; counted in the user's API rate budget); anything else is
 * answered with an `error` message and the socket stays open. Credentials come as for the REST API
 * (`Authorization`, `X-API-Key`) or as `?token=` (browsers cannot set headers on a WebSocket); the
 * `read` scope is required, and a run or flow that is not the caller's is a 404. Each upgrade
 * counts against the API-wide rate limit like any request, and a user holds at most
 * `LIVE_CONNECTIONS_PER_USER` live connections (these sockets and SSE streams together). Refusals
 * are plain HTTP answers to the upgrade request (401, 403, 404, 429) with the API's error body.
 * Returns a function that closes every socket.
 */
export function attachEventSocket(server: Server, deps: EventSocketDeps): () => Promise<void> {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
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

  async function executionChannel(actor: Actor, id: string, resumeFrom: string | null): Promise<Channel> {
    const watch = await deps.runs.openWatch(actor, id);
    let cursor = resumeFrom;
    return {
      name: { execution_id: id },
      run: (send, signal) =>
        watch(
          (e) => {
            cursor = e.cursor;
            send(e);
          },
          signal,
          resumeFrom ?? undefined,
        ).then(() => ({ code: 1000, reason: 'run finished' })),
      async state() {
        const { terminal: _terminal, ...data } = await deps.runs.snapshot(actor, id);
        // Not an event of the log: it carries the cursor of the last event sent, to resume from.
        return { type: 'state_sync', execution_id: id, timestamp: new Date().toISOString(), data, cursor };
      },
    };
  }

  async function flowChannel(actor: Actor, id: string): Promise<Channel> {
    const flow = await deps.runs.openFlowWatch(actor, id);
    return {
      name: { workflow_id: id },
      run: (send, signal) => flow.watch(send, signal).then((end) => (end === 'deleted' ? { code: 1000, reason: 'workflow deleted' } : undefined)),
      state: () => flow.stateSync(),
    };
  }

  /** Serves an open socket: the channel's events out, the client's messages in. */
  function serve(ws: WebSocket, channel: Channel, rateKey: string): void {
    const abort = new AbortController();
    const ping = setInterval(() => ws.ping(), PING_MS);
    ws.on('close', () => {
      clearInterval(ping);
      abort.abort();
    });
    ws.on('error', () => abort.abort());
    const send = (m: object) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    const stamp = () => ({ ...channel.name, timestamp: new Date().toISOString() });
    let building: Promise<Record<string, unknown>> | undefined;

    ws.on('message', (data, isBinary) => {
      const msg = parseClientMessage(data, isBinary);
      if ('error' in msg) return send({ type: 'error', ...stamp(), ...msg });
      const echo = msg.id !== undefined ? { id: msg.id } : {};
      if (msg.type === 'ping') return send({ type: 'pong', ...stamp(), ...echo });
      // A fresh state costs what a status request costs: it spends the same budget.
      const limit = rate.hit(rateKey);
      if (!limit.allowed) {
        const retryAfterS = Math.max(1, Math.ceil(limit.retryAfterMs / 1000));
        return send({
          type: 'error',
          ...stamp(),
          ...echo,
          error: { code: 'RATE_LIMITED', message: `too many requests; retry in ${retryAfterS} s`, details: { retry_after_s: retryAfterS } },
        });
      }
      // Requests that arrive while a state is being read share it.
      building ??= channel.state().finally(() => (building = undefined));
      building.then(
        (m) => send({ ...m, ...echo }),
        (err: unknown) => {
          const known = toApiError(err);
          if (!known || known.status >= 500) deps.logger.warn({ err, ...channel.name }, 'live event socket could not read the state');
          const error = known && known.status < 500 ? { code: known.code, message: known.message } : { code: 'INTERNAL_ERROR', message: 'could not read the state' };
          send({ type: 'error', ...stamp(), ...echo, error });
        },
      );
    });

    channel.run(send, abort.signal).then(
      (end) => {
        if (end) ws.close(end.code, end.reason);
      },
      (err) => {
        deps.logger.warn({ err, ...channel.name }, 'live event socket failed');
        ws.close(1011, 'live event stream failed');
      },
    );
  }

  async function upgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: { kind: 'execution' | 'workflow'; id: string },
    token: string | null,
    resumeFrom: string | null,
  ): Promise<void> {
    const authError = await authorize(req, token).then(
      () => undefined,
      (err: unknown) => err,
    );
    if (authError && (authError as { status?: unknown }).status !== 401) throw authError;
    // As for REST requests: the user's budget, or the address's when the credentials failed.
    const rateKey = apiRateLimitKey(req);
    const state = rate.hit(rateKey);
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
    if (!isUuid(target.id)) throw notFound(target.kind);
    const release = live.acquire(r.principal.user.id);
    if (!release) throw tooManyLiveConnections(live.max);
    // The socket closes however this ends: refused below, handshake failed, or the WebSocket closed.
    socket.once('close', release);
    const channel = target.kind === 'workflow' ? await flowChannel(actorOf(r), target.id) : await executionChannel(actorOf(r), target.id, resumeFrom);
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => serve(ws, channel, rateKey));
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const run = SOCKET_PATH.exec(url.pathname);
    const flow = run ? null : FLOW_SOCKET_PATH.exec(url.pathname);
    const match = run ?? flow;
    if (!match) return reject(socket, toApiError(notFound(`no route for ${url.pathname}`)) as ApiError);
    let id: string;
    try {
      id = decodeURIComponent(match[1]);
    } catch {
      return reject(socket, toApiError(notFound(run ? 'execution' : 'workflow')) as ApiError);
    }
    const target = { kind: run ? ('execution' as const) : ('workflow' as const), id };
    upgrade(req, socket, head, target, url.searchParams.get('token'), url.searchParams.get('last_event_id')).catch((err) => {
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
