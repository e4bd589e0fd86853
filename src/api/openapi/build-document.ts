import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import type { OpenAPIObject, ReferenceObject } from 'openapi3-ts/oas31';
import type { RouteInfo } from '../route-table';
import type { OperationDoc } from './operation-doc';
import { API_OPERATIONS } from './operations';
import { errorBody } from './schemas';
import { z } from './zod';

/** Vendor extension on operations: the scope the route requires (null: none). */
export const SCOPE_EXTENSION = 'x-required-scope';
/** Vendor extension on operations that exist as routes but have no {@link OperationDoc}. */
export const UNDOCUMENTED_EXTENSION = 'x-undocumented';

const ref = (kind: string, name: string): ReferenceObject => ({ $ref: `#/components/${kind}/${name}` });

const ERROR_RESPONSES: Record<number, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'malformed request: bad JSON or wrong query parameter types (`BAD_REQUEST`)' },
  401: { name: 'Unauthorized', description: 'missing or invalid credentials (`UNAUTHORIZED`, with `WWW-Authenticate: Bearer`)' },
  403: { name: 'Forbidden', description: 'authenticated but lacking the scope (`FORBIDDEN`)' },
  404: { name: 'NotFound', description: 'not found, or not yours (`NOT_FOUND`)' },
  409: { name: 'Conflict', description: 'the resource’s state does not allow this (`CONFLICT`)' },
  410: { name: 'Gone', description: 'existed once and is gone for good, e.g. an expired link (`GONE`)' },
  413: { name: 'PayloadTooLarge', description: 'body larger than `BODY_LIMIT` (`PAYLOAD_TOO_LARGE`)' },
  422: { name: 'ValidationError', description: 'well-formed but invalid; `details` maps each path to its problem (`VALIDATION_ERROR`)' },
  429: { name: 'RateLimited', description: 'rate limited (`RATE_LIMITED`); retry after `Retry-After` seconds' },
  500: { name: 'InternalError', description: 'unexpected error (`INTERNAL_ERROR`); details are in the server log under the request id' },
  503: { name: 'TemporalUnavailable', description: 'Temporal cannot be reached (`TEMPORAL_UNAVAILABLE`)' },
};

const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { description: 'requests allowed per minute', schema: { type: 'integer' as const } },
  'X-RateLimit-Remaining': { description: 'requests still allowed right now', schema: { type: 'integer' as const } },
  'X-RateLimit-Reset': { description: 'Unix time (seconds) when the current window ends', schema: { type: 'integer' as const } },
};

function registerComponents(registry: OpenAPIRegistry): void {
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'an access token from `POST /api/v1/auth/login` (an API key `flk_…` is accepted here too)',
  });
  registry.registerComponent('securitySchemes', 'apiKeyAuth', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'an API key from `POST /api/v1/auth/api-keys`; it carries exactly its scopes',
  });
  registry.register('ErrorBody', errorBody);
  registry.registerComponent('headers', 'X-Request-Id', {
    description: 'the request id (the one sent, when it is `[\\w.-]{1,64}`); log lines carry it',
    schema: { type: 'string' },
  });
  for (const [name, header] of Object.entries(RATE_LIMIT_HEADERS)) registry.registerComponent('headers', name, header);
  registry.registerComponent('headers', 'Retry-After', { description: 'seconds until a request will be accepted', schema: { type: 'integer' } });
  for (const [status, { name, description }] of Object.entries(ERROR_RESPONSES)) {
    const headers: Record<string, ReferenceObject> = { 'X-Request-Id': ref('headers', 'X-Request-Id') };
    if (status === '429') {
      headers['Retry-After'] = ref('headers', 'Retry-After');
      for (const h of Object.keys(RATE_LIMIT_HEADERS)) headers[h] = ref('headers', h);
    }
    registry.registerComponent('responses', name, {
      description,
      headers,
      content: { 'application/json': { schema: ref('schemas', 'ErrorBody') } },
    });
  }
}

function pathParams(path: string) {
  const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  return names.length ? z.object(Object.fromEntries(names.map((n) => [n, z.string()]))) : undefined;
}

function securityOf(route: RouteInfo | undefined): RouteConfig['security'] {
  if (!route?.authenticated) return [];
  const scopes = route.scope ? [route.scope] : [];
  return [{ bearerAuth: route.sessionSuffices ? [] : scopes }, { apiKeyAuth: scopes }];
}

function authNote(route: RouteInfo | undefined): string {
  if (!route?.authenticated) return '**Public** (no credentials).';
  if (!route.scope) return '**Auth:** any valid credentials.';
  return route.sessionSuffices
    ? `**Auth:** a login session (JWT), or an API key with scope \`${route.scope}\`.`
    : `**Auth:** scope \`${route.scope}\`.`;
}

function errorStatuses(doc: OperationDoc | undefined, route: RouteInfo | undefined): number[] {
  const s = new Set<number>(doc?.errors ?? []);
  const path = doc?.path ?? route?.path ?? '';
  if (doc?.query || doc?.body) s.add(400);
  if (route?.authenticated) s.add(401);
  if (route?.scope) s.add(403);
  if (path.includes('{')) s.add(404);
  if (doc?.body) [413, 422].forEach((x) => s.add(x));
  if (path.startsWith('/api/')) s.add(429);
  s.add(500);
  return [...s].sort((a, b) => a - b);
}

function successResponse(r: OperationDoc['responses'][number], apiPath: boolean): ResponseConfig {
  const headers: Record<string, ReferenceObject> = { 'X-Request-Id': ref('headers', 'X-Request-Id') };
  if (apiPath) for (const h of Object.keys(RATE_LIMIT_HEADERS)) headers[h] = ref('headers', h);
  return {
    description: r.description,
    headers,
    ...(r.schema
      ? { content: { [r.contentType ?? 'application/json']: { schema: r.schema } } }
      : r.contentType
        ? { content: { [r.contentType]: { schema: { type: 'string' as const } } } }
        : {}),
  };
}

function operation(doc: OperationDoc | undefined, route: RouteInfo | undefined): RouteConfig {
  const method = (doc?.method ?? route?.method)!;
  const path = (doc?.path ?? route?.path)!;
  const apiPath = path.startsWith('/api/');
  const responses: RouteConfig['responses'] = {};
  for (const [status, r] of Object.entries(doc?.responses ?? { 200: { description: 'undocumented' } })) {
    responses[status] = successResponse(r, apiPath);
  }
  for (const status of errorStatuses(doc, route)) responses[String(status)] = ref('responses', ERROR_RESPONSES[status].name);
  const params = doc?.params ?? pathParams(path);
  const config: RouteConfig = {
    method: method as RouteConfig['method'],
    path,
    operationId: `${method}${path.replace(/\{([^}]+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    tags: [doc?.tag ?? 'undocumented'],
    summary: doc?.summary ?? `${method.toUpperCase()} ${path} (undocumented)`,
    description: [doc?.description, authNote(route)].filter(Boolean).join('\n\n'),
    security: securityOf(route),
    [SCOPE_EXTENSION]: route?.scope ?? null,
    request: {
      ...(params ? { params } : {}),
      ...(doc?.query ? { query: doc.query } : {}),
      ...(doc?.headers ? { headers: doc.headers } : {}),
      ...(doc?.body
        ? {
            body: {
              required: doc.body.required ?? true,
              content: Object.fromEntries(
                (doc.body.contentTypes ?? ['application/json']).map((t) => [
                  t,
                  { schema: doc.body!.schema, ...(doc.body!.example === undefined ? {} : { example: doc.body!.example }) },
                ]),
              ),
            },
          }
        : {}),
    },
    responses,
  };
  if (!doc) config[UNDOCUMENTED_EXTENSION] = true;
  return config;
}

const key = (method: string, path: string) => `${method.toLowerCase()} ${path}`;

/**
 * The OpenAPI 3.1 document of the API: every {@link OperationDoc} (request and response schemas
 * from zod), with security, scope and the standard error responses taken from the route table
 * `routes` (see `listRoutes`), so they always match what the middleware enforces. A route that
 * has no documentation still appears, marked `x-undocumented`, so clients see every path.
 */
export function buildOpenApiDocument(routes: readonly RouteInfo[], operations: readonly OperationDoc[] = API_OPERATIONS): OpenAPIObject {
  const registry = new OpenAPIRegistry();
  registerComponents(registry);
  const byKey = new Map(routes.map((r) => [key(r.method, r.path), r]));
  const documented = new Set<string>();
  for (const doc of operations) {
    documented.add(key(doc.method, doc.path));
    registry.registerPath(operation(doc, byKey.get(key(doc.method, doc.path))));
  }
  for (const route of routes) {
    if (route.method === 'head' || route.method === 'options') continue;
    if (!documented.has(key(route.method, route.path))) registry.registerPath(operation(undefined, route));
  }
  const tags = [...new Set(operations.map((o) => o.tag))].map((name) => ({ name }));
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'temporal-flows API',
      version: '1',
      description:
        'Durable flows on Temporal. Errors always have the body `{"error": {"code", "message", "details?"}}`. ' +
        'Lists take `?skip&limit` (limit ≤ 100) and answer `{items, total, skip, limit}`. Every `/api/v1` answer carries ' +
        '`X-RateLimit-Limit/Remaining/Reset`; over the limit → 429 with `Retry-After`. See docs/api.md.',
    },
    tags,
  });
}
