import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

type Answer = { status: number; body: any; headers: Headers };

/** Asserts the error body of docs/api.md and returns it. */
function assertErrorBody(r: Answer, status: number, code: string): any {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(typeof r.body?.error, 'object', JSON.stringify(r.body));
  assert.equal(r.body.error.code, code);
  assert.equal(typeof r.body.error.message, 'string');
  assert.ok(r.body.error.message.length > 0);
  assert.deepEqual(Object.keys(r.body).sort(), ['error']);
  return r.body.error;
}

function assertRateLimitHeaders(r: Answer): void {
  for (const h of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
    assert.match(r.headers.get(h) ?? '', /^\d+$/, `${h} on a ${r.status}`);
  }
}

/** A raw request (any body bytes, any content type). */
async function raw(tp: TestPlatform, method: string, path: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(tp.url + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

describe('cross-cutting API errors, request ids and logs', function () {
  let tp: TestPlatform;
  let token: string;
  const logLines: string[] = [];
  const password = 'correct horse battery staple';

  before(async () => {
    tp = await startTestPlatform(
      { RUN_WORKER: 'false', BODY_LIMIT: '4kb', LOG_LEVEL: 'debug' },
      { logDestination: { write: (line: string) => void logLines.push(line) } },
    );
    token = (await tp.login()).token;
  });
  after(async () => tp?.stop());

  it('answers malformed JSON with 400 BAD_REQUEST', async () => {
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    for (const body of ['{"name": ', '{name: 1}', "{'a': 1}", '[1,2', '{"a":1}}', '\u0000']) {
      const r = await raw(tp, 'POST', '/api/v1/workflows', body, auth);
      assertErrorBody(r, 400, 'BAD_REQUEST');
      assertRateLimitHeaders(r);
    }
    const r = await raw(tp, 'POST', '/api/v1/auth/login', '{"username":', { 'content-type': 'application/json' });
    assertErrorBody(r, 400, 'BAD_REQUEST');
  });

  it('answers a corrupt or truncated compressed body with 400 BAD_REQUEST', async () => {
    const json = Buffer.from(JSON.stringify({ name: 'compressed' }));
    const bodies: [string, Buffer][] = [
      ['gzip', Buffer.from('definitely not gzip')],
      ['gzip', zlib.gzipSync(json).subarray(0, 12)],
      ['deflate', Buffer.from('definitely not deflate')],
      ['deflate', zlib.deflateSync(json).subarray(0, 6)],
      ['br', Buffer.from([0xff, 0xff, 0xff, 0xff])],
    ];
    for (const [encoding, body] of bodies) {
      for (const [path, auth] of [
        ['/api/v1/workflows', { authorization: `Bearer ${token}` }],
        ['/api/v1/auth/login', {}],
      ] as const) {
        const r = await raw(tp, 'POST', path, body, { ...auth, 'content-type': 'application/json', 'content-encoding': encoding });
        assert.match(assertErrorBody(r, 400, 'BAD_REQUEST').message, new RegExp(encoding), `${encoding} ${path}`);
      }
    }
    // A well-formed compressed body is read.
    const ok = await raw(tp, 'POST', '/api/v1/workflows', zlib.gzipSync(json), {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  });

  it('refuses a body it cannot read (400) and a JSON body that is not an object (422)', async () => {
    const created = await tp.api('POST', '/api/v1/workflows', { name: 'content types' }, token);
    const path = `/api/v1/workflows/${created.body.id}`;
    for (const type of ['text/plain', 'application/vnd.api+json', 'application/octet-stream']) {
      const r = await raw(tp, 'PATCH', path, '{"name":"renamed"}', { authorization: `Bearer ${token}`, 'content-type': type });
      assert.match(assertErrorBody(r, 400, 'BAD_REQUEST').message, /Content-Type/);
    }
    for (const body of ['null', '[]', '"x"', '42']) {
      const r = await raw(tp, 'PATCH', path, body, { authorization: `Bearer ${token}`, 'content-type': 'application/json' });
      assertErrorBody(r, 422, 'VALIDATION_ERROR');
    }
    const unchanged = await tp.api('GET', path, undefined, token);
    assert.equal(unchanged.body.updated_at, created.body.updated_at);
  });

  it('answers a body over BODY_LIMIT with 413 PAYLOAD_TOO_LARGE', async () => {
    const big = JSON.stringify({ name: 'x', description: 'y'.repeat(5000) });
    for (const [path, headers] of [
      ['/api/v1/workflows', { authorization: `Bearer ${token}` }],
      ['/api/v1/auth/register', {}],
    ] as const) {
      const r = await raw(tp, 'POST', path, big, { ...headers, 'content-type': 'application/json' });
      assertErrorBody(r, 413, 'PAYLOAD_TOO_LARGE');
      assertRateLimitHeaders(r);
    }
    const form = await raw(tp, 'POST', '/api/v1/auth/login', `username=a&password=${'p'.repeat(5000)}`, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assertErrorBody(form, 413, 'PAYLOAD_TOO_LARGE');
    // Just under the limit is fine (and then validated).
    const ok = await tp.api('POST', '/api/v1/workflows', { name: 'x', description: 'y'.repeat(3000) }, token);
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  });

  it('answers unknown routes with 404 NOT_FOUND', async () => {
    assertErrorBody(await tp.api('GET', '/api/v1/nope', undefined, token), 404, 'NOT_FOUND');
    assertErrorBody(await tp.api('DELETE', '/api/v1/workflows', undefined, token), 404, 'NOT_FOUND');
    assertErrorBody(await tp.api('GET', '/nope'), 404, 'NOT_FOUND');
    assertErrorBody(await tp.api('POST', '/api/v2/workflows', {}), 404, 'NOT_FOUND');
    // Under /api/v1 credentials come first: an anonymous caller learns nothing about which routes exist.
    assertErrorBody(await tp.api('GET', '/api/v1/nope'), 401, 'UNAUTHORIZED');
  });

  it('answers query parameters of the wrong type with 400 and the parameter in details', async () => {
    const cases: [string, string][] = [
      ['/api/v1/workflows?limit=abc', 'limit'],
      ['/api/v1/workflows?limit=1000', 'limit'],
      ['/api/v1/workflows?skip=-1', 'skip'],
      ['/api/v1/workflows?limit=1.5', 'limit'],
      ['/api/v1/workflows?sort_by=password', 'sort_by'],
      ['/api/v1/workflows?status=deleted', 'status'],
      ['/api/v1/workflows?limit=1&limit=2', 'limit'],
      ['/api/v1/executions?since=yesterday', 'since'],
      ['/api/v1/executions?workflow_id=42', 'workflow_id'],
      ['/api/v1/auth/api-keys?include_revoked=maybe', 'include_revoked'],
      // Objects and arrays where a single value is expected.
      ['/api/v1/workflows?limit[$gt]=1', 'limit'],
      ['/api/v1/workflows?limit%5B%24gt%5D=1', 'limit'],
      ['/api/v1/workflows?skip[]=1', 'skip'],
      ['/api/v1/workflows?status[$ne]=active', 'status'],
      ['/api/v1/executions?workflow_id[0]=x', 'workflow_id'],
      ['/api/v1/executions/00000000-0000-4000-8000-000000000000/logs?level[]=info', 'level'],
      ['/api/v1/approvals?limit[x]=1', 'limit'],
      ['/api/v1/auth/api-keys?include_revoked[]=true', 'include_revoked'],
    ];
    for (const [path, param] of cases) {
      const e = assertErrorBody(await tp.api('GET', path, undefined, token), 400, 'BAD_REQUEST');
      assert.ok(e.details?.[param], `${path}: ${JSON.stringify(e)}`);
    }
  });

  it('uses the error body for 401, 403, 404 and 422 too', async () => {
    assertErrorBody(await tp.api('GET', '/api/v1/workflows'), 401, 'UNAUTHORIZED');
    assertErrorBody(await tp.api('GET', '/api/v1/workflows', undefined, 'not-a-token'), 401, 'UNAUTHORIZED');
    const key = await tp.api('POST', '/api/v1/auth/api-keys', { name: 'ro', scopes: ['read'] }, token);
    assertErrorBody(await tp.api('POST', '/api/v1/workflows', { name: 'x' }, { apiKey: key.body.key }), 403, 'FORBIDDEN');
    assertErrorBody(await tp.api('GET', '/api/v1/workflows/00000000-0000-4000-8000-000000000000', undefined, token), 404, 'NOT_FOUND');
    const e = assertErrorBody(await tp.api('POST', '/api/v1/workflows', { name: 7 }, token), 422, 'VALIDATION_ERROR');
    assert.ok(e.details.name);
  });

  it('returns X-Request-Id: the caller’s when well-formed, else a fresh one, and logs it', async () => {
    const given = await tp.api('GET', '/api/v1/workflows', undefined, token, { 'x-request-id': 'trace-abc.123' });
    assert.equal(given.headers.get('x-request-id'), 'trace-abc.123');
    const fresh = await tp.api('GET', '/api/v1/workflows', undefined, token);
    assert.match(fresh.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const hostile = await tp.api('GET', '/api/v1/workflows', undefined, token, { 'x-request-id': 'a b\u00e9<script>' });
    assert.match(hostile.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const err = await tp.api('GET', '/api/v1/nope', undefined, token, { 'x-request-id': 'trace-404' });
    assert.equal(err.headers.get('x-request-id'), 'trace-404');
    assert.ok(logLines.some((l) => JSON.parse(l).req?.id === 'trace-abc.123'), 'the request id is in the log');
  });

  it('logs one line per request: id, method, URL with credentials redacted, status and duration', async () => {
    await tp.api('GET', '/api/v1/workflows?limit=5&token=abc', undefined, token, { 'x-request-id': 'line-check-1' });
    await tp.api('GET', '/api/v1/nope', undefined, token, { 'x-request-id': 'line-check-2' });
    assert.equal((await fetch(`${tp.url}/health`)).status, 200);
    const lines = logLines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request completed');
    const ok = lines.find((l) => l.req?.id === 'line-check-1');
    assert.ok(ok, 'the completed request is logged');
    assert.equal(ok.level, 30);
    assert.deepEqual(ok.req, { id: 'line-check-1', method: 'GET', url: '/api/v1/workflows?limit=5&token=[redacted]' });
    assert.deepEqual(ok.res, { statusCode: 200 });
    assert.equal(typeof ok.responseTime, 'number');
    assert.equal(lines.find((l) => l.req?.id === 'line-check-2')?.res.statusCode, 404);
    assert.ok(!lines.some((l) => l.req?.url === '/health'), 'health probes are not logged');
  });

  it('redacts every credential-carrying query parameter in the request line, however it is spelt', async () => {
    const secrets = ['pw-0001', 'at-0002', 'tk-0003', 'ak-0004', 'se-0005', 'enc-0006', 'br-0007', 'key-0008', 'cs-0009'];
    const query = [
      `password=${secrets[0]}`,
      `access_token=${secrets[1]}`,
      `Token=${secrets[2]}`,
      `API_KEY=${secrets[3]}`,
      `secret=${secrets[4]}`,
      `pass%77ord=${secrets[5]}`,
      `user[password]=${secrets[6]}`,
      `key=${secrets[7]}`,
      `client_secret=${secrets[8]}`,
      'limit=5',
    ].join('&');
    await tp.api('GET', `/api/v1/workflows?${query}`, undefined, token, { 'x-request-id': 'redact-check' });
    const line = logLines.map((l) => JSON.parse(l)).find((l) => l.req?.id === 'redact-check');
    assert.ok(line, 'the request is logged');
    for (const secret of secrets) assert.ok(!line.req.url.includes(secret), `${secret} is in ${line.req.url}`);
    assert.equal(
      line.req.url,
      '/api/v1/workflows?password=[redacted]&access_token=[redacted]&Token=[redacted]&API_KEY=[redacted]&secret=[redacted]' +
        '&pass%77ord=[redacted]&user[password]=[redacted]&key=[redacted]&client_secret=[redacted]&limit=5',
    );
  });

  it('never logs a password, a token or an API key', async () => {
    const username = `logcheck${process.pid}`;
    const secretPassword = 'Sup3r-Secret-Passw0rd!';
    assert.equal((await tp.api('POST', '/api/v1/auth/register', { username, email: `${username}@example.test`, password: secretPassword })).status, 201);
    const form = await raw(tp, 'POST', '/api/v1/auth/login', `username=${username}&password=${encodeURIComponent(secretPassword)}`, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(form.status, 200);
    const jwt: string = form.body.access_token;
    const wrongPassword = 'Wr0ng-Passw0rd-Guess';
    assert.equal((await tp.api('POST', '/api/v1/auth/login', { username, password: wrongPassword })).status, 401);
    const key = await tp.api('POST', '/api/v1/auth/api-keys', { name: 'log check', scopes: ['read', 'write'] }, jwt);
    assert.equal(key.status, 201);
    const apiKey: string = key.body.key;
    await tp.api('GET', '/api/v1/auth/me', undefined, jwt);
    await tp.api('GET', '/api/v1/auth/me', undefined, { apiKey });
    await tp.api('GET', '/api/v1/auth/me', undefined, `flk_${'x'.repeat(40)}`);
    await tp.api('GET', `/api/v1/executions/00000000-0000-4000-8000-000000000000/events/stream?token=${jwt}`);
    await tp.api('GET', `/api/v1/workflows?api_key=${apiKey}&secret=${secretPassword}`, undefined, jwt);
    await raw(tp, 'POST', '/api/v1/auth/login', `{"username":"${username}","password":"${secretPassword}"`, { 'content-type': 'application/json' });
    await tp.api('POST', '/api/v1/workflows', { name: 'with secret', description: 'x'.repeat(5000), settings: { password: secretPassword } }, jwt);

    const log = logLines.join('');
    assert.ok(log.includes(username), 'the log captured this test’s requests');
    assert.ok(log.includes('token=[redacted]'), 'credentials in query strings are redacted');
    for (const [what, secret] of [
      ['password', secretPassword],
      ['wrong password', wrongPassword],
      ['the helper’s password', password],
      ['access token', jwt],
      ['JWT signature', jwt.split('.')[2]],
      ['API key', apiKey],
      ['API key body', apiKey.slice(12)],
    ]) {
      assert.ok(!log.includes(secret), `a log line contains the ${what}`);
    }
  });

  describe('rate limiting', () => {
    let limited: TestPlatform;
    const LIMIT = 6;

    before(async () => {
      limited = await startTestPlatform({ RUN_WORKER: 'false', RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    });
    after(async () => limited?.stop());

    it('limits each principal, then each anonymous address, with X-RateLimit-* and Retry-After', async () => {
      // register + login of two users: 4 anonymous requests from this address.
      const alice = (await limited.login()).token;
      const bob = (await limited.login()).token;

      const seen: Answer[] = [];
      for (let i = 0; i < LIMIT + 2; i++) seen.push(await limited.api('GET', '/api/v1/workflows', undefined, alice));
      assert.deepEqual(
        seen.map((r) => r.status),
        [...Array(LIMIT).fill(200), 429, 429],
      );
      for (const r of seen) {
        assertRateLimitHeaders(r);
        assert.equal(r.headers.get('x-ratelimit-limit'), String(LIMIT));
      }
      assert.equal(seen[0].headers.get('x-ratelimit-remaining'), String(LIMIT - 1));
      const refused = seen[LIMIT];
      assertErrorBody(refused, 429, 'RATE_LIMITED');
      assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 120, `Retry-After ${retryAfter}`);
      assert.ok(Number(refused.headers.get('x-ratelimit-reset')) * 1000 > Date.now());

      // Another principal has its own budget.
      assert.equal((await limited.api('GET', '/api/v1/workflows', undefined, bob)).status, 200);

      // Anonymous callers and made-up credentials count against the address (4 used above).
      const anon = [];
      for (let i = 0; i < 3; i++) anon.push(await limited.api('GET', '/api/v1/workflows', undefined, i === 1 ? 'made-up-token' : undefined));
      assert.deepEqual(
        anon.map((r) => r.status),
        [401, 401, 429],
      );
      assertErrorBody(anon[2], 429, 'RATE_LIMITED');
      assert.ok(anon[2].headers.get('retry-after'));
    });
  });
});
