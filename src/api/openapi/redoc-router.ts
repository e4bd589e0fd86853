import { Router } from 'express';

/** ReDoc's self-contained browser bundle, from the `redoc` npm package: no CDN is needed at run time. */
const REDOC_BUNDLE = require.resolve('redoc/bundles/redoc.standalone.js');
const BUNDLE_PATH = '/redoc/redoc.standalone.js';

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>temporal-flows API (ReDoc)</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="/openapi.json"></redoc>
<script src="${BUNDLE_PATH}"></script>
</body>
</html>
`;

/**
 * `GET /redoc`: ReDoc over `/openapi.json`, beside Swagger UI at `/docs`; public like both. The
 * page and its one script are served by the API itself.
 */
export function createRedocRouter(): Router {
  const r = Router();
  r.get('/redoc', (_req, res) => {
    res.type('html').send(PAGE);
  });
  // A static asset, like Swagger UI's files under /docs/: mounted with `use`, so it is not an API operation.
  r.use(BUNDLE_PATH, (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path !== '/') return next();
    res.sendFile(REDOC_BUNDLE, { maxAge: '1d' }, (err) => {
      if (err && !res.headersSent) next(err);
    });
  });
  return r;
}
