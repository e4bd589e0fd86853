import express, { type Request, type RequestHandler } from 'express';
import { badRequest } from '../errors';

/** Whether the request has a body, as body-parser decides it (type-is's `hasBody`). */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(req.headers['content-length']));
}

const ENCODINGS = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

/**
 * body-parser passes a decompression failure (a corrupt or truncated gzip, deflate or br body) on
 * as zlib's own error with status 400 but without the `type` its other errors carry; make it the
 * API's 400 rather than leave the error handler to take it for a bug.
 */
function readError(err: unknown, req: Request): unknown {
  const e = err as { type?: unknown; status?: unknown } | undefined;
  if (!e || e.type !== undefined || typeof e.status !== 'number' || e.status < 400 || e.status >= 500) return err;
  const encoding = String(req.headers['content-encoding'] ?? '').trim().toLowerCase();
  return badRequest(ENCODINGS.has(encoding) ? `request body is not valid ${encoding} data` : 'request body could not be read');
}

/**
 * JSON and form-urlencoded bodies up to `limit` (body-parser's errors, e.g. 400 and 413, go to
 * the error handler). A request without a body — every GET — skips both parsers at once.
 */
export function parseBodies(limit: string): RequestHandler {
  const json = express.json({ limit, strict: false });
  const form = express.urlencoded({ extended: false, limit });
  return (req, res, next) => {
    if (!hasBody(req)) return next();
    const done = (err?: unknown) => next(err ? readError(err, req) : undefined);
    json(req, res, (err?: unknown) => (err ? done(err) : form(req, res, done)));
  };
}

/**
 * The body as raw bytes (`req.body` a Buffer; none: an empty one), whatever its Content-Type, up
 * to `limit` (larger → 413): for routes that must see exactly what was sent, such as inbound
 * webhooks whose signature covers the body's bytes.
 */
export function rawBody(limit: string): RequestHandler {
  const raw = express.raw({ limit, type: () => true });
  return (req, res, next) => {
    const done = (err?: unknown) => {
      if (err) return next(readError(err, req));
      if (!Buffer.isBuffer(req.body)) req.body = Buffer.alloc(0);
      next();
    };
    if (!hasBody(req)) return done();
    raw(req, res, done);
  };
}
