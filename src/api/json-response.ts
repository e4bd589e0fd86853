import type { Express, Response } from 'express';

/**
 * `res.json(value)` for this API: the value as UTF-8 JSON with `Content-Type:
 * application/json; charset=utf-8` (unless the route set another type) and its `Content-Length`;
 * no body for HEAD, 204 and 304. That is what Express's own `res.json` sends here, without its
 * general-purpose path through `res.send` (the content type parsed and re-formatted to add the
 * charset, ETag and freshness checks for the ETags this API does not generate, a Buffer copy of
 * every body over 1,000 bytes), which cost ~a tenth of the API's cheapest requests.
 *
 * Installed on the app's response prototype, so every `res.json` and `res.send(object)` of the
 * app (error bodies included) goes through it.
 */
export function installJsonResponse(app: Express): void {
  if (app.get('etag') !== false || app.get('json replacer') !== undefined || app.get('json spaces') !== undefined || app.get('json escape')) {
    throw new Error('installJsonResponse: the app must not generate ETags or customise JSON output');
  }
  app.response.json = function json(this: Response, value: unknown): Response {
    const text = JSON.stringify(value) as string | undefined;
    if (!this.hasHeader('Content-Type')) this.setHeader('Content-Type', 'application/json; charset=utf-8');
    if (this.statusCode === 204 || this.statusCode === 304) {
      this.removeHeader('Content-Type');
      this.removeHeader('Content-Length');
      this.removeHeader('Transfer-Encoding');
      this.end();
      return this;
    }
    // JSON.stringify(undefined) is undefined: no body and no length, as Express sends.
    if (text === undefined || this.req.method === 'HEAD') {
      if (text !== undefined) this.setHeader('Content-Length', Buffer.byteLength(text));
      this.end();
      return this;
    }
    this.setHeader('Content-Length', Buffer.byteLength(text));
    this.end(text, 'utf8');
    return this;
  };
}

