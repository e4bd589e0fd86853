import express, { type Request, type RequestHandler } from 'express';

/** Whether the request has a body, as body-parser decides it (type-is's `hasBody`). */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(req.headers['content-length']));
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
    json(req, res, (err?: unknown) => (err ? next(err) : form(req, res, next)));
  };
}
