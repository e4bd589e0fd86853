import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/**
 * The HTTP server of an Express app, whose request and response objects are created with the app's
 * own prototypes (`app.request`, `app.response`) instead of Node's.
 *
 * Express gives every request and response its prototypes with `Object.setPrototypeOf`. Changing
 * the prototype of a live object costs far more than the call: V8 keeps per-request objects alive
 * long enough to be promoted to the old generation, which then needs a mark-compact every few
 * seconds. Measured with a one-route Express app at 50 connections: ~3.5 MB promoted per
 * scavenge, 8 ms scavenges and 7 mark-compacts in 8 s, against 0.5 MB, 1 ms and none when the
 * objects are born with the right prototype (docs/benchmarks.md, "API throughput"). Here they
 * are, so Express's `setPrototypeOf` finds the prototype already in place and does nothing.
 */
export function createAppServer(app: Express): Server {
  // `new` on these runs Node's constructors with the app's prototypes (Reflect.construct's newTarget).
  function AppRequest(this: unknown, socket: Socket): IncomingMessage {
    return Reflect.construct(http.IncomingMessage, [socket], AppRequest) as IncomingMessage;
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: unknown, req: IncomingMessage, options?: unknown): ServerResponse {
    return Reflect.construct(http.ServerResponse, [req, options], AppResponse) as ServerResponse;
  }
  AppResponse.prototype = app.response;
  return http.createServer(
    {
      IncomingMessage: AppRequest as unknown as typeof IncomingMessage,
      ServerResponse: AppResponse as unknown as typeof ServerResponse,
    },
    app,
  );
}
