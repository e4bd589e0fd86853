import type { RequestHandler } from 'express';

/** Paths (under `/api/v1`) where a credential may come in the query string. */
const STREAM_PATH = /^\/executions\/[^/]+\/events\/stream\/?$/;

/**
 * Browsers' `EventSource` cannot send headers, so the live event stream also accepts
 * `?token=<jwt or API key>`; this copies it into `Authorization` before authentication. Only for
 * that path, and only when no header credential is present (the request logger redacts `token=`).
 */
export const queryToken: RequestHandler = (req, _res, next) => {
  if (req.method !== 'GET' || !req.url.includes('token=') || req.headers.authorization || req.headers['x-api-key']) return next();
  const token = (req.query as Record<string, unknown> | undefined)?.token;
  if (typeof token === 'string' && token !== '' && STREAM_PATH.test(req.path)) req.headers.authorization = `Bearer ${token}`;
  next();
};
