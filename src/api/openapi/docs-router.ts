import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { RouteInfo } from '../route-table';
import { buildOpenApiDocument } from './build-document';
import { createRedocRouter } from './redoc-router';

/**
 * `GET /openapi.json` (the OpenAPI 3.1 document), `GET /docs` (Swagger UI over it) and `GET /redoc`
 * (ReDoc over it), all public.
 * `routes` is called on the first request, when the application has all its routes, and the
 * document is built once from them.
 */
export function createApiDocsRouter(routes: () => readonly RouteInfo[]): Router {
  let document: string | undefined;
  const r = Router();
  r.get('/openapi.json', (_req, res) => {
    document ??= JSON.stringify(buildOpenApiDocument(routes()));
    res.type('application/json').send(document);
  });
  const page = swaggerUi.setup(undefined, { swaggerUrl: '/openapi.json', customSiteTitle: 'temporal-flows API' });
  r.get('/docs', (req, res, next) => {
    // The page loads its assets relative to itself, so it must be served as /docs/.
    if (!req.originalUrl.split('?')[0].endsWith('/')) return res.redirect(301, '/docs/');
    page(req, res, next);
  });
  r.use('/docs', swaggerUi.serveFiles(undefined, { swaggerUrl: '/openapi.json' }));
  r.use(createRedocRouter());
  return r;
}
