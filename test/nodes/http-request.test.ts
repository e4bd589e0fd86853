import assert from 'node:assert/strict';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { NodeError } from '../../src/nodes/node-definition';
import { parseRetryAfter } from '../../src/nodes/net/http-errors';
import { HEARTBEAT_TIMEOUT_MS, httpRequestNode } from '../../src/nodes/types/http-request';
import { compileFlow } from '../../src/nodes/compile-flow';
import type { RunFlowResult } from '../../src/shared/flow';
import { chain, startTestEngine, type TestEngine } from '../helpers/engine';
import { runNodeActivity } from '../helpers/node-activity';
import { makeNodeContext, renderedData, type NodeContextOverrides } from '../helpers/node-context';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('http-request node', () => {
  let server: http.Server;
  let base: string;
  let port: number;
  const seen: Seen[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url!, 'http://x');
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        const json = (status: number, value: unknown, headers: http.OutgoingHttpHeaders = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(value));
        };
        switch (url.pathname) {
          case '/echo':
            return json(200, { method: req.method, url: req.url, headers: req.headers, body });
          case '/text':
            res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
            return res.end('hello, world');
          case '/not-json':
            res.writeHead(200, { 'content-type': 'application/json' });
            return res.end('{oops');
          case '/gzip':
            res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
            return res.end(zlib.gzipSync(JSON.stringify({ zipped: true })));
          case '/status': {
            const code = Number(url.searchParams.get('code'));
            const retryAfter = url.searchParams.get('retry_after');
            res.writeHead(code, {
              'content-type': 'text/plain',
              ...(retryAfter && { 'retry-after': retryAfter }),
            });
            return res.end(`status ${code}: not here`);
          }
          case '/slow':
            return setTimeout(() => json(200, { late: true }), 3_000).unref();
          case '/trickle': {
            // Headers after head_ms, then a JSON array one element every 250 ms for body_ms.
            const headMs = Number(url.searchParams.get('head_ms') ?? 0);
            const bodyMs = Number(url.searchParams.get('body_ms') ?? 0);
            const timers: NodeJS.Timeout[] = [];
            res.on('close', () => timers.forEach(clearTimeout));
            return void timers.push(
              setTimeout(() => {
                res.writeHead(200, { 'content-type': 'application/json' });
                res.write('[');
                const until = Date.now() + bodyMs;
                const tick = () => {
                  if (Date.now() >= until) return void res.end('0]');
                  res.write('1,');
                  timers.push(setTimeout(tick, 250));
                };
                tick();
              }, headMs),
            );
          }
          case '/big': {
            res.writeHead(200, { 'content-type': 'application/octet-stream' });
            const chunk = Buffer.alloc(1024 * 1024, 97);
            let sent = 0;
            const write = () => {
              while (sent < 12 && res.write(chunk)) sent++;
              if (sent >= 12) res.end();
              else res.once('drain', () => (sent++, write()));
            };
            res.on('error', () => {});
            return write();
          }
          case '/redirect': {
            res.writeHead(Number(url.searchParams.get('code') ?? 302), {
              location: url.searchParams.get('to')!,
            });
            return res.end();
          }
          case '/loop':
            res.writeHead(302, { location: '/loop' });
            return res.end();
          default:
            return json(404, { error: 'no route' });
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    seen.length = 0;
  });

  /** Runs the node with 127.0.0.1 on the allow-list unless the test says otherwise. */
  function run(data: Record<string, unknown>, overrides: NodeContextOverrides = {}) {
    const ctx = makeNodeContext({ services: { httpAllowedHosts: ['127.0.0.1'] }, ...overrides });
    return { ctx, promise: httpRequestNode.execute!(renderedData(httpRequestNode, data), ctx) };
  }

  async function output(data: Record<string, unknown>, overrides?: NodeContextOverrides) {
    return (await run(data, overrides).promise).output as {
      result: any;
      status: number;
      headers: Record<string, string>;
      url: string;
    };
  }

  async function failure(
    data: Record<string, unknown>,
    overrides?: NodeContextOverrides,
  ): Promise<NodeError> {
    try {
      await run(data, overrides).promise;
    } catch (err) {
      assert.ok(err instanceof NodeError, `expected a NodeError, got ${String(err)}`);
      return err;
    }
    assert.fail('expected the request to fail');
  }

  describe('requests', () => {
    it('GETs by default, appends query to the URL and sends headers', async () => {
      const out = await output({
        url: `${base}/echo?a=1`,
        query: { b: 'two words', c: [1, 2], skip: null, yes: true },
        headers: { 'X-Trace': 'abc', Accept: 'application/json' },
      });
      assert.equal(out.status, 200);
      assert.equal(out.result.method, 'GET');
      assert.equal(out.result.url, '/echo?a=1&b=two+words&c=1&c=2&yes=true');
      assert.equal(out.result.headers['x-trace'], 'abc');
      assert.equal(out.headers['content-type'], 'application/json');
      assert.equal(out.url, `${base}/echo?a=1&b=two+words&c=1&c=2&yes=true`);
    });

    it('sends an object as JSON, a string as text and form bodies urlencoded', async () => {
      const json = await output({ method: 'post', url: `${base}/echo`, body: { name: 'x', n: [1] } });
      assert.equal(json.result.method, 'POST');
      assert.equal(json.result.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(json.result.body), { name: 'x', n: [1] });

      const text = await output({ method: 'PUT', url: `${base}/echo`, body: 'plain words' });
      assert.equal(text.result.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(text.result.body, 'plain words');

      const form = await output({
        method: 'PATCH',
        url: `${base}/echo`,
        body: { a: 'b c', list: [1, 2] },
        body_type: 'form',
      });
      assert.equal(form.result.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.equal(form.result.body, 'a=b+c&list=1&list=2');

      const custom = await output({
        method: 'POST',
        url: `${base}/echo`,
        body: { a: 1 },
        headers: { 'Content-Type': 'application/vnd.api+json' },
      });
      assert.equal(custom.result.headers['content-type'], 'application/vnd.api+json');
    });

    it('supports DELETE, OPTIONS and HEAD', async () => {
      assert.equal((await output({ method: 'DELETE', url: `${base}/echo` })).result.method, 'DELETE');
      assert.equal((await output({ method: 'OPTIONS', url: `${base}/echo` })).result.method, 'OPTIONS');
      const head = await output({ method: 'HEAD', url: `${base}/echo` });
      assert.equal(head.status, 200);
      assert.equal(head.result, null);
      assert.equal(seen.at(-1)!.method, 'HEAD');
    });

    it('rejects an unknown method when validating the flow', () => {
      assert.equal(
        httpRequestNode.dataSchema.safeParse({ url: 'https://x.test', method: 'TRACE' }).success,
        false,
      );
      assert.equal(
        httpRequestNode.dataSchema.safeParse({ url: 'https://x.test', method: '{{ vars.m }}' }).success,
        true,
      );
    });
  });

  describe('responses', () => {
    it('parses JSON by content-type, returns other types as text and honours response_type', async () => {
      assert.equal((await output({ url: `${base}/text` })).result, 'hello, world');
      assert.equal(typeof (await output({ url: `${base}/echo`, response_type: 'text' })).result, 'string');
      const auto = await output({ url: `${base}/not-json` });
      assert.equal(auto.result, '{oops', 'auto falls back to text when the body is not JSON');
      const err = await failure({ url: `${base}/not-json`, response_type: 'json' });
      assert.equal(err.options.retryable, false);
      assert.equal(err.options.type, 'InvalidResponse');
    });

    it('decompresses gzip', async () => {
      assert.deepEqual((await output({ url: `${base}/gzip` })).result, { zipped: true });
    });

    it('fails non-retryably when the body exceeds 10 MB', async () => {
      const err = await failure({ url: `${base}/big` });
      assert.equal(err.options.retryable, false);
      assert.equal(err.options.type, 'ResponseTooLarge');
    });

    it('logs method, status and duration without query values', async () => {
      const { ctx, promise } = run({ url: `${base}/echo`, query: { token: 's3cret' } });
      await promise;
      const entry = ctx.logs.find((l) => l.meta?.status === 200);
      assert.ok(entry, JSON.stringify(ctx.logs));
      assert.equal(entry.meta!.method, 'GET');
      assert.equal(typeof entry.meta!.duration_ms, 'number');
      assert.doesNotMatch(JSON.stringify(ctx.logs), /s3cret/);
      assert.match(entry.message, /token=\*\*\*/);
    });
  });

  describe('errors', () => {
    it('makes 5xx retryable', async () => {
      for (const code of [500, 502, 503]) {
        const err = await failure({ url: `${base}/status?code=${code}` });
        assert.equal(err.options.retryable, true, `HTTP ${code}`);
        assert.equal((err.options.details as { status: number }).status, code);
        assert.equal(err.options.nextRetryDelayMs, undefined);
      }
    });

    it('makes 429 retryable and honours Retry-After in seconds and as a date', async () => {
      const seconds = await failure({ url: `${base}/status?code=429&retry_after=7` });
      assert.equal(seconds.options.retryable, true);
      assert.equal(seconds.options.nextRetryDelayMs, 7_000);

      const date = new Date(Date.now() + 20_000).toUTCString();
      const dated = await failure({ url: `${base}/status?code=503&retry_after=${encodeURIComponent(date)}` });
      assert.ok(
        dated.options.nextRetryDelayMs! > 15_000 && dated.options.nextRetryDelayMs! <= 20_000,
        String(dated.options.nextRetryDelayMs),
      );
    });

    it('parses Retry-After values', () => {
      const now = Date.parse('2030-01-01T00:00:00Z');
      assert.equal(parseRetryAfter('120', now), 120_000);
      assert.equal(parseRetryAfter('Tue, 01 Jan 2030 00:00:30 GMT', now), 30_000);
      assert.equal(parseRetryAfter('Mon, 31 Dec 2029 00:00:00 GMT', now), 0, 'a date in the past means now');
      assert.equal(parseRetryAfter('soon', now), undefined);
      assert.equal(parseRetryAfter(undefined, now), undefined);
      assert.equal(parseRetryAfter('999999', now), 3_600_000, 'capped at an hour');
    });

    it('makes other 4xx non-retryable, with the status and a body excerpt', async () => {
      for (const code of [400, 401, 403, 404, 422]) {
        const err = await failure({ url: `${base}/status?code=${code}` });
        assert.equal(err.options.retryable, false, `HTTP ${code}`);
        const details = err.options.details as { status: number; body: string };
        assert.equal(details.status, code);
        assert.match(details.body, /not here/);
        assert.match(err.message, new RegExp(`HTTP ${code}`));
      }
    });

    it('times out (retryably) after timeout_ms', async () => {
      const started = Date.now();
      const err = await failure({ url: `${base}/slow`, timeout_ms: 200 });
      assert.ok(Date.now() - started < 2_000);
      assert.equal(err.options.retryable, true);
      assert.equal(err.options.type, 'Timeout');
      assert.match(err.message, /timed out after 200 ms/);
    });

    it('makes connection failures retryable', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const closedPort = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const err = await failure({ url: `http://127.0.0.1:${closedPort}/` });
      assert.equal(err.options.retryable, true);
      assert.equal(err.options.type, 'NetworkError');
    });

    it('rejects a bad URL or scheme non-retryably', async () => {
      for (const url of ['not a url', 'ftp://127.0.0.1/file', 'file:///etc/passwd']) {
        const err = await failure({ url });
        assert.equal(err.options.retryable, false, url);
        assert.equal(err.options.type, 'InvalidUrl');
      }
    });

    it('stops at once when the run is cancelled', async () => {
      const controller = new AbortController();
      const { promise } = run({ url: `${base}/slow` }, { signal: controller.signal });
      const started = Date.now();
      setTimeout(() => controller.abort(new Error('run cancelled')), 100);
      await assert.rejects(promise, /run cancelled/);
      assert.ok(Date.now() - started < 1_000);
    });
  });

  describe('heartbeats', () => {
    it('compiles with a heartbeat timeout far shorter than the node timeout', () => {
      const compiled = compileFlow({
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'call', type: 'http-request', data: { url: 'https://example.com/' } },
        ],
        edges: [{ source: 'start', target: 'call' }],
      });
      const { exec } = compiled.nodes[1];
      assert.equal(exec.heartbeat_ms, HEARTBEAT_TIMEOUT_MS);
      assert.ok(exec.heartbeat_ms! <= 10_000 && exec.heartbeat_ms! * 3 <= exec.timeout_ms, JSON.stringify(exec));
    });

    it('heartbeats (through the activity wrapper) every second while waiting for the headers and while reading the body', async () => {
      const started = Date.now();
      const run = await runNodeActivity(
        httpRequestNode,
        { url: `${base}/trickle?head_ms=1500&body_ms=2000` },
        { services: { httpAllowedHosts: ['127.0.0.1'] } },
      );
      const ended = Date.now();
      assert.equal(run.error, undefined);
      const out = run.result!.output as { status: number; result: unknown };
      const beats = run.heartbeats.map((h) => h.at);
      assert.equal(out.status, 200);
      assert.ok(Array.isArray(out.result) && out.result.length > 3, JSON.stringify(out.result));
      const points = [started, ...beats, ended];
      const gaps = points.slice(1).map((t, i) => t - points[i]);
      assert.ok(Math.max(...gaps) < 1_600, `gaps between heartbeats: ${gaps.join(', ')} ms`);
      assert.ok(beats.some((t) => t > started + 2_000), 'heartbeats continue while the body arrives');
    });

    describe('through Temporal', function () {
      this.timeout(60_000);
      let engine: TestEngine;
      before(async () => {
        engine = await startTestEngine();
      });
      after(async () => engine?.stop());

      /** Runs `start → call → end` with the call's heartbeat timeout shortened to `heartbeatMs`, without retries. */
      async function runWithHeartbeatTimeout(type: string, data: Record<string, unknown>, heartbeatMs: number) {
        const graph = chain([{ id: 'call', type, data, retry: { max_attempts: 1 } }], { got: '{{ call.result }}' });
        const definition = compileFlow(graph);
        definition.nodes[1].exec.heartbeat_ms = heartbeatMs;
        const handle = await engine.start(graph, {}, { definition });
        return (await handle.result()) as RunFlowResult;
      }

      it('finishes a response that takes longer than the heartbeat timeout', async () => {
        const url = `${base}/trickle?head_ms=2500&body_ms=2500`;
        const result = await runWithHeartbeatTimeout('http-request', { url }, 2_000);
        assert.equal(result.status, 'completed', JSON.stringify(result.error));
        assert.ok(Array.isArray((result.output as { got: unknown }).got));
      });

      it('(control) the same timeout fails an activity that does not heartbeat for as long', async () => {
        const code = 'const until = Date.now() + 5000; while (Date.now() < until) {} return 1';
        await assert.rejects(runWithHeartbeatTimeout('code', { code, timeout_ms: 10_000 }, 2_000), (err: Error) => {
          assert.match(String(err.cause), /Heartbeat timeout/i);
          return true;
        });
      });
    });
  });

  describe('idempotency key', () => {
    it('derives a key from execution and node that is stable across retries', async () => {
      const key = async (overrides: NodeContextOverrides) =>
        (await output({ method: 'POST', url: `${base}/echo`, body: {}, idempotency_key: true }, overrides))
          .result.headers['idempotency-key'];
      const first = await key({ executionId: 'e-1', nodeId: 'charge', attempt: 1 });
      const retry = await key({ executionId: 'e-1', nodeId: 'charge', attempt: 2 });
      assert.ok(first);
      assert.equal(first, retry);
      assert.notEqual(await key({ executionId: 'e-2', nodeId: 'charge' }), first);
      assert.notEqual(await key({ executionId: 'e-1', nodeId: 'refund' }), first);
    });

    it('sends a given key as is', async () => {
      const out = await output({ method: 'POST', url: `${base}/echo`, idempotency_key: 'order-42' });
      assert.equal(out.result.headers['idempotency-key'], 'order-42');
    });
  });

  describe('redirects', () => {
    it('follows redirects and reports the final URL', async () => {
      const out = await output({ url: `${base}/redirect?to=${encodeURIComponent('/echo?after=1')}` });
      assert.equal(out.status, 200);
      assert.equal(out.url, `${base}/echo?after=1`);
    });

    it('turns a 303 after POST into a GET without body', async () => {
      const out = await output({ method: 'POST', url: `${base}/redirect?code=303&to=/echo`, body: { a: 1 } });
      assert.equal(out.result.method, 'GET');
      assert.equal(out.result.body, '');
    });

    it('keeps method and body on 307', async () => {
      const out = await output({ method: 'POST', url: `${base}/redirect?code=307&to=/echo`, body: { a: 1 } });
      assert.equal(out.result.method, 'POST');
      assert.equal(out.result.body, '{"a":1}');
    });

    it('returns the redirect itself when follow_redirects is false', async () => {
      const out = await output({ url: `${base}/redirect?to=/echo`, follow_redirects: false });
      assert.equal(out.status, 302);
      assert.equal(out.headers.location, '/echo');
    });

    it('gives up after 5 redirects', async () => {
      const err = await failure({ url: `${base}/loop` });
      assert.equal(err.options.type, 'TooManyRedirects');
      assert.equal(err.options.retryable, false);
    });

    it('refuses a redirect to a blocked address even when the first host is allowed', async () => {
      const first = `http://localhost:${port}`;
      const allowLocalhost = { services: { httpAllowedHosts: ['localhost'] } };
      assert.equal((await output({ url: `${first}/echo` }, allowLocalhost)).status, 200);

      for (const target of [
        `http://127.0.0.1:${port}/echo`,
        'http://169.254.169.254/latest/meta-data/',
        `http://[::ffff:127.0.0.1]:${port}/echo`,
      ]) {
        seen.length = 0;
        const err = await failure(
          { url: `${first}/redirect?to=${encodeURIComponent(target)}` },
          allowLocalhost,
        );
        assert.equal(err.options.type, 'AddressBlocked', target);
        assert.equal(err.options.retryable, false);
        assert.deepEqual(
          seen.map((s) => new URL(s.url, 'http://x').pathname),
          ['/redirect'],
          'the blocked target is never requested',
        );
      }
    });

    it('refuses a redirect to another scheme', async () => {
      const err = await failure({ url: `${base}/redirect?to=${encodeURIComponent('file:///etc/passwd')}` });
      assert.equal(err.options.type, 'InvalidUrl');
    });

    describe('to another origin', () => {
      let other: http.Server;
      let otherBase: string;
      const seenByOther: http.IncomingHttpHeaders[] = [];

      before(async () => {
        other = http.createServer((req, res) => {
          seenByOther.push(req.headers);
          const url = new URL(req.url!, 'http://x');
          if (url.pathname === '/back') {
            res.writeHead(302, { location: `${base}/echo` });
            return res.end();
          }
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ headers: req.headers }));
        });
        await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
        otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      });

      after(async () => {
        other.closeAllConnections();
        await new Promise((resolve) => other.close(resolve));
      });

      beforeEach(() => {
        seenByOther.length = 0;
      });

      const headers = {
        Authorization: 'Bearer secret',
        Cookie: 'session=secret',
        'X-Api-Key': 'key-secret',
        'X-Auth-Token': 'token-secret',
        'Private-Token': 'gitlab-secret',
        Accept: 'application/json',
        'Accept-Language': 'fr',
        'User-Agent': 'flows-test',
        'Cache-Control': 'no-cache',
      };

      it('keeps only non-credential headers', async () => {
        const out = await output({ url: `${base}/redirect?to=${encodeURIComponent(`${otherBase}/echo`)}`, headers });
        assert.equal(out.url, `${otherBase}/echo`);
        const got = out.result.headers as Record<string, string>;
        for (const h of ['authorization', 'cookie', 'x-api-key', 'x-auth-token', 'private-token']) {
          assert.equal(got[h], undefined, `${h} reached the other origin`);
        }
        assert.equal(got.accept, 'application/json');
        assert.equal(got['accept-language'], 'fr');
        assert.equal(got['user-agent'], 'flows-test');
        assert.equal(got['cache-control'], 'no-cache');
        // The first origin got everything.
        assert.equal(seen[0].headers['x-api-key'], 'key-secret');
      });

      it('keeps every header on a same-origin redirect', async () => {
        const out = await output({ url: `${base}/redirect?to=/echo`, headers });
        assert.equal(out.result.headers['x-api-key'], 'key-secret');
        assert.equal(out.result.headers.authorization, 'Bearer secret');
      });

      it('does not restore them when the chain comes back to the first origin', async () => {
        const out = await output({ url: `${base}/redirect?to=${encodeURIComponent(`${otherBase}/back`)}`, headers });
        assert.equal(out.url, `${base}/echo`);
        assert.equal(seenByOther[0]['x-api-key'], undefined);
        assert.equal(out.result.headers['x-api-key'], undefined);
        assert.equal(out.result.headers.authorization, undefined);
      });
    });
  });

  describe('credentials (through the activity wrapper)', () => {
    const TOKEN = 'tok-5f4e3d2c1b0a';
    const credentials = [
      { id: 'c1', name: 'api-bearer', type: 'http_bearer', data: { token: TOKEN } },
      { id: 'c2', name: 'api-key', type: 'http_header', data: { name: 'X-Api-Key', value: TOKEN } },
      { id: 'c3', name: 'api-basic', type: 'http_basic', data: { username: 'ada', password: TOKEN } },
      { id: 'c4', name: 'mail', type: 'smtp', data: { host: 'smtp.example.test', password: TOKEN } },
    ];
    const activity = (data: Record<string, unknown>) =>
      runNodeActivity(httpRequestNode, data, { credentials, services: { httpAllowedHosts: ['127.0.0.1'] } });

    it('sends an http_bearer credential as Authorization; the output and the logs never hold the token', async () => {
      const run = await activity({ url: `${base}/text`, credential: 'api-bearer' });
      assert.equal(run.error, undefined);
      assert.equal(seen.length, 1);
      assert.equal(seen[0].headers.authorization, `Bearer ${TOKEN}`);
      assert.equal((run.result!.output as { result: unknown }).result, 'hello, world');
      assert.ok(run.logs.length > 0);
      assert.doesNotMatch(JSON.stringify(run.result), new RegExp(TOKEN));
      assert.doesNotMatch(JSON.stringify(run.logs), new RegExp(TOKEN));
    });

    it('sends http_header and http_basic credentials, over a header of the same name in data', async () => {
      await activity({ url: `${base}/text`, credential: 'api-key', headers: { 'x-api-key': 'from-data' } });
      assert.equal(seen[0].headers['x-api-key'], TOKEN);
      await activity({ url: `${base}/text`, credential: 'c3' });
      assert.equal(seen[1].headers.authorization, `Basic ${Buffer.from(`ada:${TOKEN}`).toString('base64')}`);
    });

    it('scrubs the token when the server echoes it back, and keeps it out of failures', async () => {
      const echoed = await activity({ url: `${base}/echo`, credential: 'api-bearer' });
      const body = (echoed.result!.output as { result: { headers: Record<string, string> } }).result;
      assert.equal(body.headers.authorization, 'Bearer ***');

      const failed = await activity({ url: `${base}/status?code=401`, credential: 'api-bearer' });
      assert.equal(failed.error?.nonRetryable, true);
      assert.doesNotMatch(JSON.stringify({ e: failed.error, d: failed.error?.details, l: failed.logs }), new RegExp(TOKEN));
    });

    it('refuses a credential of another type or an unknown one, before sending anything', async () => {
      const wrong = await activity({ url: `${base}/text`, credential: 'mail' });
      assert.equal(wrong.error?.message, 'credential "mail" is of type smtp, expected one of http_header, http_bearer, http_basic');
      assert.equal(wrong.error?.nonRetryable, true);
      const unknown = await activity({ url: `${base}/text`, credential: 'nope' });
      assert.equal(unknown.error?.message, 'credential "nope" not found');
      assert.equal(seen.length, 0);
    });
  });

  describe('address guard', () => {
    it('refuses loopback without an allow-list, before any byte is sent', async () => {
      for (const url of [
        `${base}/echo`,
        `http://localhost:${port}/echo`,
        `http://[::ffff:127.0.0.1]:${port}/echo`,
        `http://[::ffff:7f00:1]:${port}/`,
      ]) {
        const err = await failure({ url }, { services: { httpAllowedHosts: [] } });
        assert.equal(err.options.type, 'AddressBlocked', url);
        assert.equal(err.options.retryable, false);
        assert.match(err.message, /127\.0\.0\.1/);
        assert.match(err.message, /HTTP_ALLOWED_HOSTS/);
      }
      assert.equal(seen.length, 0);
    });

    it('refuses the cloud metadata address, also in IPv4-mapped IPv6 form', async () => {
      for (const url of [
        'http://169.254.169.254/latest/meta-data/',
        'http://[::ffff:a9fe:a9fe]/',
        'http://[fd00:ec2::254]/',
      ]) {
        const err = await failure({ url }, { services: { httpAllowedHosts: [] } });
        assert.equal(err.options.type, 'AddressBlocked', url);
      }
    });

    it('allows a CIDR from the allow-list', async () => {
      const out = await output({ url: `${base}/echo` }, { services: { httpAllowedHosts: ['127.0.0.0/8'] } });
      assert.equal(out.status, 200);
    });
  });
});
