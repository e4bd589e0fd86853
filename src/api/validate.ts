import type { Request } from 'express';
import type { z } from 'zod';
import { issuesToDetails } from '../shared/zod-issues';
import { badRequest, unprocessable } from './errors';

export { issuesToDetails };

/**
 * Parses the JSON body: 422 with every problem's path when it does not fit. A request without a
 * body is parsed as `{}`; a body that no parser took (an unsupported Content-Type) is a 400.
 */
export function parseBody<S extends z.ZodTypeAny>(schema: S, req: Request): z.infer<S> {
  if (req.body === undefined && hasBody(req)) {
    throw badRequest(`unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}: send application/json`);
  }
  const r = schema.safeParse(req.body === undefined ? {} : req.body);
  if (!r.success) throw unprocessable('request body is invalid', issuesToDetails(r.error.issues));
  return r.data;
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Parses the query string: 400 when a parameter has the wrong type. Every parameter is a single
 * value: a repeated one (`?limit=1&limit=2`) fails its schema, and a bracketed name
 * (`?limit[$gt]=1`, `?status[]=x`) — which the app's simple query parser leaves as a literal key,
 * so the schema would never see it — is refused here, naming the parameter before the bracket.
 */
export function parseQuery<S extends z.ZodTypeAny>(schema: S, req: Request): z.infer<S> {
  const query = (req.query ?? {}) as Record<string, unknown>;
  let bracketed: Record<string, string> | undefined;
  for (const key of Object.keys(query)) {
    if (!key.includes('[') && !key.includes(']')) continue;
    const name = key.split('[')[0] || key;
    (bracketed ??= {})[name] ??= 'must be a single value, not an object or array';
  }
  if (bracketed) throw badRequest('query parameters are invalid', bracketed);
  const r = schema.safeParse(query);
  if (!r.success) throw badRequest('query parameters are invalid', issuesToDetails(r.error.issues));
  return r.data;
}

/** Parses a path parameter that must be a UUID: anything else is a 404 (it cannot exist). */
export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
}
