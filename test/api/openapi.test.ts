import assert from 'node:assert/strict';
import express from 'express';
import { requireScope } from '../../src/api/middleware/authenticate';
import { API_OPERATIONS } from '../../src/api/openapi/operations';
import { buildOpenApiDocument, SCOPE_EXTENSION, UNDOCUMENTED_EXTENSION } from '../../src/api/openapi/build-document';
import { listRoutes, toOpenApiPaths, type RouteInfo } from '../../src/api/route-table';
import { listenStubApp, type StubApp } from '../helpers/stub-app';

const ERROR_STATUS = /^[45]\d\d$/;

/** Resolves a local `$ref` (`#/components/...`) in `doc`. */
function resolve(doc: any, value: any): any {
  if (!value || typeof value.$ref !== 'string') return value;
  const target = value.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((node: any, part: string) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  assert.ok(target, `dangling $ref ${value.$ref}`);
  return resolve(doc, target);
}

describe('route table and OpenAPI document', function () {
  let stub: StubApp;
  let routes: RouteInfo[];
  let doc: any;

  before(async () => {
    stub = await listenStubApp();
    routes = listRoutes(stub.app).filter((r) => r.method !== 'head' && r.method !== 'options');
    const res = await fetch(`${stub.url}/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    doc = await res.json();
  });
  after(async () => stub?.close());

  describe('listRoutes', () => {
    it('finds mounted routes with OpenAPI paths and the scope their middleware requires', () => {
      const find = (method: string, path: string) => routes.find((r) => r.method === method && r.path === path);
      assert.deepEqual(find('get', '/api/v1/workflows/{id}'), {
        method: 'get',
        path: '/api/v1/workflows/{id}',
        scope: 'read',
        scopes: ['read'],
        authenticated: true,
        sessionSuffices: false,
      });
      assert.equal(find('post', '/api/v1/workflows')?.scope, 'write');
      assert.equal(find('post', '/api/v1/auth/login')?.authenticated, false);
      assert.equal(find('get', '/health')?.authenticated, false);
      const me = find('get', '/api/v1/auth/me')!;
      assert.equal(me.authenticated, true);
      assert.equal(me.scope, null);
      const createKey = find('post', '/api/v1/auth/api-keys')!;
      assert.equal(createKey.scope, 'admin');
      assert.equal(createKey.sessionSuffices, true);
      assert.ok(routes.length >= 30, `only ${routes.length} routes`);
    });

    it('inherits router-level middleware and expands optional groups and array paths', () => {
      const app = express();
      const inner = express.Router();
      inner.use(requireScope('read'));
      inner.get('/items{/:item_id}', (_req, res) => void res.end());
      inner.post(['/a', '/b/:x'], requireScope('write'), (_req, res) => void res.end());
      app.get('/open', (_req, res) => void res.end());
      app.use('/v1/things', inner);
      assert.deepEqual(
        listRoutes(app).map((r) => [r.method, r.path, r.scope, r.scopes.join('+'), r.authenticated]),
        [
          ['get', '/open', null, '', false],
          ['post', '/v1/things/a', 'write', 'read+write', true],
          ['post', '/v1/things/b/{x}', 'write', 'read+write', true],
          ['get', '/v1/things/items', 'read', 'read', true],
          ['get', '/v1/things/items/{item_id}', 'read', 'read', true],
        ],
      );
      assert.deepEqual(toOpenApiPaths('/files/*path'), ['/files/{path}']);
    });
  });

  it('is an OpenAPI 3.1 document with paths, components and both security schemes', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.info?.title && doc.info?.version);
    assert.equal(typeof doc.paths, 'object');
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: doc.components.securitySchemes.bearerAuth.description,
    });
    assert.equal(doc.components.securitySchemes.apiKeyAuth.type, 'apiKey');
    assert.equal(doc.components.securitySchemes.apiKeyAuth.in, 'header');
    assert.equal(doc.components.securitySchemes.apiKeyAuth.name, 'X-API-Key');
    assert.deepEqual(doc.components.schemas.ErrorBody.required, ['error']);
    const ids = Object.values(doc.paths).flatMap((ops: any) => Object.values(ops).map((o: any) => o.operationId));
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
  });

  it('documents every route with the same method and path, and nothing that does not exist', () => {
    const key = (m: string, p: string) => `${m.toUpperCase()} ${p}`;
    const real = new Set(routes.map((r) => key(r.method, r.path)));
    const documented = new Set(API_OPERATIONS.map((o) => key(o.method, o.path)));
    const undocumented = [...real].filter((k) => !documented.has(k));
    const phantom = [...documented].filter((k) => !real.has(k));
    assert.deepEqual(undocumented, [], `routes without an OperationDoc (add them in src/api/openapi/*-operations.ts)`);
    assert.deepEqual(phantom, [], 'documented operations that are not routes of the app');
    assert.equal(documented.size, API_OPERATIONS.length, 'an operation is documented twice');

    const inDocument = new Set<string>();
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        inDocument.add(key(method, path));
        assert.ok(!op[UNDOCUMENTED_EXTENSION], `${key(method, path)} is marked undocumented`);
      }
    }
    assert.deepEqual([...inDocument].sort(), [...real].sort());
  });

  it('lists the scope and security of every operation as the middleware enforces them', () => {
    for (const r of routes) {
      const op = doc.paths[r.path][r.method];
      const name = `${r.method.toUpperCase()} ${r.path}`;
      assert.equal(op[SCOPE_EXTENSION], r.scope, name);
      if (!r.authenticated) {
        assert.deepEqual(op.security, [], `${name} is public`);
        continue;
      }
      const schemes = op.security.flatMap((s: object) => Object.keys(s)).sort();
      assert.deepEqual(schemes, ['apiKeyAuth', 'bearerAuth'], name);
      const apiKey = op.security.find((s: any) => s.apiKeyAuth).apiKeyAuth;
      assert.deepEqual(apiKey, r.scope ? [r.scope] : [], name);
      assert.ok(op.responses['401'], `${name} documents 401`);
      if (r.scope) {
        assert.ok(op.responses['403'], `${name} documents 403`);
        assert.match(op.description, new RegExp(`scope \`${r.scope}\``), name);
      }
      if (r.path.includes('{')) assert.ok(op.responses['404'], `${name} documents 404`);
    }
  });

  it('gives every error response the error body schema, and resolves every $ref', () => {
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        const errors = Object.keys(op.responses).filter((s) => ERROR_STATUS.test(s));
        assert.ok(errors.includes('500'), `${method} ${path} documents 500`);
        if (op.requestBody) assert.ok(errors.includes('413') && errors.includes('422'), `${method} ${path}: 413/422`);
        for (const status of errors) {
          // A degraded /health is a health report (for probes), not an error.
          if (path === '/health' && status === '503') continue;
          const response = resolve(doc, op.responses[status]);
          const schema = response.content?.['application/json']?.schema;
          assert.equal(schema?.$ref, '#/components/schemas/ErrorBody', `${method} ${path} ${status}`);
        }
      }
    }
    const rateLimited = resolve(doc, { $ref: '#/components/responses/RateLimited' });
    for (const h of ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']) {
      assert.ok(rateLimited.headers[h], `429 documents ${h}`);
    }
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (!node || typeof node !== 'object') return;
      if (typeof (node as any).$ref === 'string') resolve(doc, node);
      Object.values(node).forEach(walk);
    };
    walk(doc);
  });

  it('answers {items, total, skip, limit} from every list that takes skip and limit', () => {
    const lists: string[] = [];
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      const op = ops.get;
      const query = new Set((op?.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => p.name));
      if (!query.has('skip') || !query.has('limit')) continue;
      lists.push(path);
      const schema = resolve(doc, op.responses['200'].content['application/json'].schema);
      for (const field of ['items', 'total', 'skip', 'limit']) {
        assert.ok(schema.required?.includes(field), `GET ${path} answers ${field}`);
      }
      assert.equal(resolve(doc, schema.properties.items).type, 'array', `GET ${path}: items is the list`);
    }
    for (const path of ['/api/v1/workflows', '/api/v1/executions', '/api/v1/executions/{id}/logs', '/api/v1/node-types', '/api/v1/approvals']) {
      assert.ok(lists.includes(path), `${path} is a list`);
    }
  });

  it('has request examples that the request schemas accept', () => {
    for (const op of API_OPERATIONS) {
      if (op.body?.example === undefined) continue;
      const r = op.body.schema.safeParse(op.body.example);
      assert.ok(r.success, `${op.method} ${op.path} example: ${JSON.stringify(r.error?.issues)}`);
    }
  });

  it('marks a route added without documentation, with its scope', () => {
    const extra: RouteInfo = { method: 'post', path: '/api/v1/new-thing', scope: 'write', scopes: ['write'], authenticated: true, sessionSuffices: false };
    const d: any = buildOpenApiDocument([...routes, extra]);
    const op = d.paths['/api/v1/new-thing'].post;
    assert.equal(op[UNDOCUMENTED_EXTENSION], true);
    assert.equal(op[SCOPE_EXTENSION], 'write');
  });

  it('serves Swagger UI at /docs without credentials', async () => {
    const page = await fetch(`${stub.url}/docs`);
    assert.equal(page.status, 200);
    assert.equal(new URL(page.url).pathname, '/docs/');
    assert.match(await page.text(), /swagger-ui/i);
    const init = await fetch(`${stub.url}/docs/swagger-ui-init.js`);
    assert.equal(init.status, 200);
    assert.match(await init.text(), /"swaggerUrl": "\/openapi.json"/);
    const css = await fetch(`${stub.url}/docs/swagger-ui.css`);
    assert.equal(css.status, 200);
    await css.arrayBuffer();
  });

  it('serves ReDoc at /redoc without credentials, its script from the API itself (no CDN)', async () => {
    const page = await fetch(`${stub.url}/redoc`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    const html = await page.text();
    assert.match(html, /<redoc spec-url="\/openapi.json">/);
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(scripts, ['/redoc/redoc.standalone.js']);
    assert.ok(!/https?:\/\//.test(html), 'the page loads nothing from another host');
    const bundle = await fetch(`${stub.url}${scripts[0]}`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type') ?? '', /javascript/);
    assert.match(await bundle.text(), /Redoc/);
    assert.equal((await fetch(`${stub.url}/redoc/nothing.js`)).status, 404);
  });
});
