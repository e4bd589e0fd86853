import express, { type Express } from 'express';

/**
 * The Express floor of the benches: Express 5 with one router and one route,
 * `GET /api/v1/workflows/:id`, answering `body` — no middleware, database, auth or logging.
 */
export function oneRouteApp(body: unknown): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const router = express.Router();
  router.get('/:id', (_req, res) => {
    res.json(body);
  });
  app.use('/api/v1/workflows', router);
  return app;
}
