import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createAppServer } from '../../src/api/server';

describe('createAppServer', () => {
  it("creates requests and responses with the app's prototypes, before Express would set them", async () => {
    const app = express();
    app.get('/echo', (req, res) => {
      res.status(201).json({ q: req.query, path: req.path, ip: req.ip });
    });
    const seen: boolean[] = [];
    const handle = (app as unknown as { handle: (...args: unknown[]) => void }).handle;
    (app as unknown as { handle: (...args: unknown[]) => void }).handle = function (req: unknown, res: unknown, next: unknown) {
      seen.push(Object.getPrototypeOf(req) === app.request, Object.getPrototypeOf(res) === app.response);
      return handle.call(this, req, res, next);
    };
    const server = createAppServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await fetch(`${url}/echo?a=1&b=two`);
      assert.equal(res.status, 201);
      assert.deepEqual(await res.json(), { q: { a: '1', b: 'two' }, path: '/echo', ip: '127.0.0.1' });
      assert.deepEqual(seen, [true, true]);
      // Node's own behaviour is untouched: an unknown route is Express's 404, a HEAD has no body.
      assert.equal((await fetch(`${url}/nope`)).status, 404);
      const head = await fetch(`${url}/echo`, { method: 'HEAD' });
      assert.equal(head.status, 201);
      assert.equal(await head.text(), '');
    } finally {
      server.close();
    }
  });
});
