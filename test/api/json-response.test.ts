import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Express } from 'express';
import { installJsonResponse } from '../../src/api/json-response';

/** The routes whose answers are compared: every shape `res.json` and `res.send(object)` get here. */
function withRoutes(app: Express): Express {
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/object', (_req, res) => res.json({ name: 'Größe — 取得', n: [1, 2.5, null, true], nested: { deep: 'x'.repeat(2000) } }));
  app.get('/status', (_req, res) => res.status(422).json({ error: { code: 'invalid', message: 'bad' } }));
  app.get('/send-object', (_req, res) => res.send({ via: 'send' }));
  app.get('/null', (_req, res) => res.json(null));
  app.get('/undefined', (_req, res) => res.json(undefined));
  app.get('/string', (_req, res) => res.json('just a string'));
  app.get('/no-content', (_req, res) => res.status(204).json({ dropped: true }));
  app.get('/typed', (_req, res) => res.type('application/json').send({ typed: true }));
  return app;
}

async function listen(app: Express): Promise<{ url: string; server: Server }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function answer(url: string, path: string, method = 'GET') {
  const res = await fetch(url + path, { method });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    length: res.headers.get('content-length'),
    body: await res.text(),
  };
}

describe('installJsonResponse', () => {
  let ours: { url: string; server: Server };
  let express5: { url: string; server: Server };
  before(async () => {
    const app = express();
    app.set('etag', false);
    installJsonResponse(app);
    assert.notEqual(app.response.json, express.response.json, 'the app has its own writer');
    ours = await listen(withRoutes(app));
    express5 = await listen(withRoutes(express()));
  });
  after(() => {
    ours.server.close();
    express5.server.close();
  });

  for (const path of ['/object', '/status', '/send-object', '/null', '/undefined', '/string', '/no-content', '/typed']) {
    for (const method of ['GET', 'HEAD']) {
      it(`answers ${method} ${path} exactly as Express's res.json does`, async () => {
        const [a, b] = await Promise.all([answer(ours.url, path, method), answer(express5.url, path, method)]);
        assert.deepEqual(a, b);
      });
    }
  }

  it('refuses an app that generates ETags, whose answers it would not give', () => {
    assert.throws(() => installJsonResponse(express()), /must not generate ETags/);
  });
});
