import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { ApiError, toApiError } from '../errors';

/** gRPC UNAVAILABLE / DEADLINE_EXCEEDED from the Temporal client: the server cannot be reached. */
function isTemporalUnavailable(err: unknown): boolean {
  let e = err as { name?: string; code?: number; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++) {
    if ((e.name === 'ServiceError' || e.name === 'ConnectionError') && (e.code === undefined || e.code === 14 || e.code === 4)) return true;
    if (e.code === 14) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** Unknown routes: 404 in the error body. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ApiError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`));
};

/**
 * The one error middleware: typed errors become `{error: {code, message, details}}` with their
 * status; body-parser errors become 400/413; anything else is a logged 500 without internals.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let e: ApiError;
    const known = toApiError(err);
    if (known) e = known;
    else if (err?.type === 'entity.too.large') e = new ApiError(413, 'PAYLOAD_TOO_LARGE', 'request body too large');
    else if (err?.type === 'entity.parse.failed') e = new ApiError(400, 'BAD_REQUEST', 'malformed JSON body');
    else if ((err?.type || err?.expose === true) && typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
      // body-parser's errors carry a `type`; any other http-errors 4xx is marked `expose`.
      e = new ApiError(err.status === 413 ? 413 : 400, err.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', String(err.message));
    } else if (isTemporalUnavailable(err)) {
      logger.warn({ err, req_id: (req as { id?: unknown }).id }, 'Temporal unavailable');
      e = new ApiError(503, 'TEMPORAL_UNAVAILABLE', 'Temporal is unavailable; try again shortly');
    } else {
      logger.error({ err, req_id: (req as { id?: unknown }).id }, 'unhandled error');
      e = new ApiError(500, 'INTERNAL_ERROR', 'internal error');
    }
    if (res.headersSent) return;
    const retryAfterS = e.details?.retry_after_s;
    if (e.status === 429 && typeof retryAfterS === 'number') res.setHeader('Retry-After', String(retryAfterS));
    res.status(e.status).json({ error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } });
  };
}
