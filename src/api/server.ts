import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/** Whether `fn` is an ES class, which cannot be called without `new`. */
const isClass = (fn: unknown) => typeof fn === 'function' && /^class\b/.test(Function.prototype.toString.call(fn));

/**
 * The HTTP server of an Express app, whose request and response objects are born with the app's
 * own prototypes (`app.request`, `app.response`) instead of Node's.
 *
 * Express gives every request and response its prototypes with `Object.setPrototypeOf`. On a live
 * object that costs far more than the call: V8 then keeps per-request objects alive long enough to
 * be promoted to the old generation, which needs a mark-compact every second or two under load.
 * One-route Express app, 50 connections: ~3.5 MB promoted per scavenge, 6–8 ms scavenges and 12
 * mark-compacts in 8 s, against 0.3 MB, 0.7 ms and one when the objects are born with the right
 * prototype, and 2–3 times the requests per second (docs/benchmarks.md, "API throughput").
 * Express's `setPrototypeOf` then finds the prototype in place and does nothing.
 *
 * The objects are made by plain constructor functions that call Node's on `this`. Building them
 * with `Reflect.construct(http.IncomingMessage, …, newTarget)` (or a subclass) is just as slow as
 * `setPrototypeOf`. Should Node's constructors become classes, which cannot be called that way,
 * this falls back to Node's own objects.
 */
export function createAppServer(app: Express): Server {
  if (isClass(http.IncomingMessage) || isClass(http.ServerResponse)) return http.createServer(app);
  const NodeRequest = http.IncomingMessage as unknown as (this: unknown, socket: Socket) => void;
  const NodeResponse = http.ServerResponse as unknown as (this: unknown, req: IncomingMessage, options?: unknown) => void;
  function AppRequest(this: unknown, socket: Socket): void {
    NodeRequest.call(this, socket);
  }
  AppRequest.prototype = app.request;
  function AppResponse(this: unknown, req: IncomingMessage, options?: unknown): void {
    NodeResponse.call(this, req, options);
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
