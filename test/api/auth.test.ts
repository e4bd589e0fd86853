import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import jwt from 'jsonwebtoken';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { createDb, createRepos, migrateLatest, type Db, type Repos } from '../../src/storage';
import { generateApiKey, hashApiKey, looksLikeApiKey } from '../../src/api/auth/api-keys';
import { hashPassword, verifyPassword, verifyPasswordOrDummy } from '../../src/api/auth/passwords';
import { JWT_AUDIENCE, JWT_ISSUER, signAccessToken, verifyAccessToken } from '../../src/api/auth/tokens';
import { createAuthenticate, requireScope } from '../../src/api/middleware/authenticate';
import { errorHandler, notFoundHandler } from '../../src/api/middleware/error-handler';
import { createAuthRouter } from '../../src/api/routes/auth';
import { until } from '../helpers/wait';

const SECRET = 'test-secret-that-is-long-enough-0123456789';

interface TestApp {
  url: string;
  config: Config;
  repos: Repos;
  db: Db;
  close(): Promise<void>;
}

/** The auth router and middleware on a tiny app over a fresh SQLite file, with two probe routes. */
async function startApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dir,
    JWT_SECRET: SECRET,
    ENCRYPTION_KEY: '00'.repeat(32),
    LOGIN_RATE_LIMIT_PER_MINUTE: '1000',
    ...env,
  });
  const db = createDb({ client: 'sqlite', filename: path.join(dir, 'test.sqlite') });
  await migrateLatest(db);
  const repos = createRepos(db);
  const logger = createLogger('silent');
  const authenticate = createAuthenticate({ config, repos });

  const app = express();
  app.set('query parser', 'simple');
  app.use(express.json());
  const api = express.Router();
  api.use('/auth', createAuthRouter({ config, repos, logger, authenticate }));
  api.use(authenticate);
  api.get('/probe', (req, res) => res.json(req.principal));
  api.post('/probe/execute', requireScope('execute'), (_req, res) => res.json({ ok: true }));
  api.get('/probe/admin', requireScope('admin'), (_req, res) => res.json({ ok: true }));
  app.use('/api/v1', api);
  app.use(notFoundHandler);
  app.use(errorHandler(logger));

  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1`,
    config,
    repos,
    db,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

async function call(
  app: TestApp,
  method: string,
  p: string,
  opts: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  }
  const res = await fetch(app.url + p, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** A JSON POST from another loopback address (Linux routes all of 127/8 to lo), i.e. another client. */
function postFrom(app: TestApp, localAddress: string, p: string, json: unknown): Promise<{ status: number; body: any }> {
  const body = JSON.stringify(json);
  return new Promise((resolve, reject) => {
    const req = http.request(
      app.url + p,
      { method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function assertErrorBody(r: Reply, status: number, code: string) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body?.error?.code, code, r.text);
  assert.equal(typeof r.body.error.message, 'string');
}

async function register(app: TestApp, username: string, password = 'correct horse battery') {
  const r = await call(app, 'POST', '/auth/register', {
    json: { username, email: `${username}@example.test`, password },
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

async function login(app: TestApp, username: string, password = 'correct horse battery'): Promise<string> {
  const r = await call(app, 'POST', '/auth/login', { json: { username, password } });
  assert.equal(r.status, 200, r.text);
  return r.body.access_token;
}

describe('auth building blocks', () => {
  it('hashes passwords with Argon2id and verifies them', async () => {
    const hash = await hashPassword('s3cret-password');
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    assert.equal(await verifyPassword(hash, 's3cret-password'), true);
    assert.equal(await verifyPassword(hash, 'wrong'), false);
    assert.equal(await verifyPassword('not-a-hash', 'x'), false);
    assert.equal(await verifyPasswordOrDummy(undefined, 's3cret-password'), false);
  });

  it('takes about as long for an unknown user as for a wrong password', async () => {
    const hash = await hashPassword('s3cret-password');
    await verifyPasswordOrDummy(undefined, 'warm-up');
    let known = 0;
    let unknown = 0;
    // Interleaved, so a busy machine slows both sides alike.
    for (let i = 0; i < 6; i++) {
      let t0 = performance.now();
      await verifyPasswordOrDummy(hash, 'wrong');
      known += performance.now() - t0;
      t0 = performance.now();
      await verifyPasswordOrDummy(undefined, 'wrong');
      unknown += performance.now() - t0;
    }
    assert.ok(unknown > known / 3 && unknown < known * 3, `known ${known} ms vs unknown ${unknown} ms`);
  });

  it('generates flk_ keys of 40 base62 characters and stores only a hash and a prefix', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    assert.match(a.key, /^flk_[0-9A-Za-z]{40}$/);
    assert.notEqual(a.key, b.key);
    assert.equal(a.hash, hashApiKey(a.key));
    assert.match(a.hash, /^[0-9a-f]{64}$/);
    assert.equal(a.prefix, a.key.slice(0, 12));
    assert.ok(looksLikeApiKey(a.key));
    assert.ok(!looksLikeApiKey('flk_short'));
  });

  it('signs HS256 tokens with sub, iat, exp, iss and aud', () => {
    const jwtConfig = { secret: SECRET, expiresInS: 600 };
    const { token, expiresIn } = signAccessToken('user-1', jwtConfig);
    assert.equal(expiresIn, 600);
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
    assert.equal(header.alg, 'HS256');
    const claims = verifyAccessToken(token, jwtConfig);
    assert.equal(claims.sub, 'user-1');
    assert.equal(claims.iss, JWT_ISSUER);
    assert.equal(claims.aud, JWT_AUDIENCE);
    assert.equal(claims.exp - claims.iat, 600);
    assert.throws(() =>
      verifyAccessToken(token, { secret: 'another-secret-that-is-long-enough-xx', expiresInS: 600 }),
    );
  });
});

describe('auth API', () => {
  let app: TestApp;
  let admin: any;
  let adminToken: string;
  let alice: any;
  let aliceToken: string;

  before(async () => {
    app = await startApp();
    admin = await register(app, 'root');
    adminToken = await login(app, 'root');
    alice = await register(app, 'alice');
    aliceToken = await login(app, 'alice');
  });
  after(() => app.close());

  describe('register', () => {
    it('makes the first user an admin and later users regular users, without password hashes', async () => {
      assert.equal(admin.role, 'admin');
      assert.equal(alice.role, 'user');
      assert.deepEqual(Object.keys(alice).sort(), [
        'created_at',
        'email',
        'id',
        'role',
        'updated_at',
        'username',
      ]);
      assert.equal(alice.email, 'alice@example.test');
    });

    it('rejects a duplicate username or email with 409', async () => {
      let r = await call(app, 'POST', '/auth/register', {
        json: { username: 'alice', email: 'other@example.test', password: 'long-enough' },
      });
      assertErrorBody(r, 409, 'CONFLICT');
      r = await call(app, 'POST', '/auth/register', {
        json: { username: 'alice2', email: 'ALICE@example.test', password: 'long-enough' },
      });
      assertErrorBody(r, 409, 'CONFLICT');
    });

    it('validates username, email and password with 422 details', async () => {
      const r = await call(app, 'POST', '/auth/register', {
        json: { username: 'a b', email: 'nope', password: 'short' },
      });
      assertErrorBody(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(Object.keys(r.body.error.details).sort(), ['email', 'password', 'username']);
    });

    it('treats usernames and emails case-insensitively', async () => {
      const carol = await register(app, 'carol');
      assert.equal(carol.username, 'carol');
      for (const [username, email] of [
        ['Carol', 'someone-else@example.test'],
        ['CAROL', 'carol2@example.test'],
        ['carol3', 'Carol@Example.TEST'],
      ]) {
        const r = await call(app, 'POST', '/auth/register', {
          json: { username, email, password: 'correct horse battery' },
        });
        assertErrorBody(r, 409, 'CONFLICT');
      }
      const dave = await register(app, 'Dave');
      assert.equal(dave.username, 'dave', 'usernames are stored lower-cased');
      for (const name of ['CAROL', 'Carol', 'CAROL@EXAMPLE.TEST']) {
        const r = await call(app, 'POST', '/auth/login', { json: { username: name, password: 'correct horse battery' } });
        assert.equal(r.status, 200, `${name}: ${r.text}`);
      }
      assert.equal((await call(app, 'POST', '/auth/login', { json: { username: 'DAVE', password: 'correct horse battery' } })).status, 200);
    });

    it('refuses weak passwords with 422 naming password', async () => {
      const weak: [string, RegExp][] = [
        ['password', /at least 10 characters/],
        ['passw0rd!', /at least 10 characters/],
        [' '.repeat(12), /whitespace/],
        ['\t\n \t\n \t\n \t\n ', /whitespace/],
        ['password123', /too common/],
        ['1234567890', /too common/],
        ['QwertyUiop', /too common/],
        ['Weak-Pass-Owner', /differ from the username/],
        ['weak-pass-owner@example.test', /differ from the username/],
      ];
      for (const [password, message] of weak) {
        const r = await call(app, 'POST', '/auth/register', {
          json: { username: 'weak-pass-owner', email: 'weak-pass-owner@example.test', password },
        });
        assertErrorBody(r, 422, 'VALIDATION_ERROR');
        assert.deepEqual(Object.keys(r.body.error.details), ['password'], JSON.stringify(password));
        assert.match(r.body.error.details.password, message, JSON.stringify(password));
      }
      // Long passphrases and passwords that merely contain a common one are fine.
      await register(app, 'weak-pass-owner', 'my password123 is long');
    });
  });

  describe('login', () => {
    it('accepts JSON and form-urlencoded bodies and returns a bearer token', async () => {
      const json = await call(app, 'POST', '/auth/login', {
        json: { username: 'alice', password: 'correct horse battery' },
      });
      assert.equal(json.status, 200);
      assert.equal(json.body.token_type, 'bearer');
      assert.equal(json.body.expires_in, app.config.jwt.expiresInS);
      assert.equal(typeof json.body.access_token, 'string');
      assert.equal(json.headers.get('cache-control'), 'no-store');

      const form = await call(app, 'POST', '/auth/login', {
        form: { grant_type: 'password', username: 'alice', password: 'correct horse battery' },
      });
      assert.equal(form.status, 200, form.text);
      assert.equal(form.body.token_type, 'bearer');
    });

    it('accepts the email as the login name', async () => {
      const r = await call(app, 'POST', '/auth/login', {
        json: { username: 'alice@example.test', password: 'correct horse battery' },
      });
      assert.equal(r.status, 200, r.text);
    });

    it('answers 401 to a wrong password or an unknown user', async () => {
      assertErrorBody(
        await call(app, 'POST', '/auth/login', { json: { username: 'alice', password: 'wrong password' } }),
        401,
        'UNAUTHORIZED',
      );
      assertErrorBody(
        await call(app, 'POST', '/auth/login', { json: { username: 'nobody', password: 'wrong password' } }),
        401,
        'UNAUTHORIZED',
      );
    });

    it('throttles a username after 5 failures, even with the right password', async () => {
      await register(app, 'bob');
      for (let i = 0; i < 5; i++) {
        const r = await call(app, 'POST', '/auth/login', {
          json: { username: 'bob', password: `wrong-${i}` },
        });
        assert.equal(r.status, 401);
      }
      const r = await call(app, 'POST', '/auth/login', {
        json: { username: 'bob', password: 'correct horse battery' },
      });
      assertErrorBody(r, 429, 'RATE_LIMITED');
      assert.ok(Number(r.headers.get('retry-after')) > 0);
      // Another user from the same address is not affected.
      assert.equal(
        (
          await call(app, 'POST', '/auth/login', {
            json: { username: 'alice', password: 'correct horse battery' },
          })
        ).status,
        200,
      );
    });

    it('counts failures per account: every spelling, from every address, shares one budget', async () => {
      await register(app, 'frank');
      const attempts: [string, string][] = [
        ['127.0.0.1', 'frank'],
        ['127.0.0.1', 'FRANK@example.test'],
        ['127.0.0.2', 'Frank'],
        ['127.0.0.2', 'frank@example.test'],
        ['127.0.0.3', 'fRaNk'],
      ];
      for (const [from, username] of attempts) {
        const r = await postFrom(app, from, '/auth/login', { username, password: 'not the password' });
        assert.equal(r.status, 401, `${username} from ${from}`);
      }
      for (const [from, username] of [['127.0.0.1', 'frank'], ['127.0.0.5', 'frank@example.test']]) {
        const r = await postFrom(app, from, '/auth/login', { username, password: 'correct horse battery' });
        assert.equal(r.status, 429, `${username} from ${from}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'RATE_LIMITED');
      }
    });
  });

  describe('me', () => {
    it('returns the current user without the password hash', async () => {
      const r = await call(app, 'GET', '/auth/me', { headers: bearer(aliceToken) });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.id, alice.id);
      assert.equal(r.body.username, 'alice');
      assert.deepEqual(r.body.scopes, ['read', 'write', 'execute', 'approve']);
      assert.ok(!r.text.includes('argon2') && !r.text.includes('password'));
    });

    it('gives admins the admin scope', async () => {
      const r = await call(app, 'GET', '/auth/me', { headers: bearer(adminToken) });
      assert.ok(r.body.scopes.includes('admin'));
    });

    it('answers 401 with WWW-Authenticate without credentials', async () => {
      const r = await call(app, 'GET', '/auth/me');
      assertErrorBody(r, 401, 'UNAUTHORIZED');
      assert.equal(r.headers.get('www-authenticate'), 'Bearer');
    });
  });

  describe('JWT attacks', () => {
    const payload = () => ({
      sub: alice.id,
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 600,
      iss: JWT_ISSUER,
      aud: JWT_AUDIENCE,
    });
    const hmac = (alg: 'sha256' | 'sha512', data: string, secret = SECRET) =>
      createHmac(alg, secret).update(data).digest('base64url');

    const attacks: Record<string, () => string> = {
      'alg none': () => `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload())}.`,
      'alg none with a signature': () => {
        const data = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(payload())}`;
        return `${data}.${hmac('sha256', data)}`;
      },
      HS512: () => jwt.sign(payload(), SECRET, { algorithm: 'HS512' }),
      'RS256 signed with the secret as a public key': () => {
        const data = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(payload())}`;
        return `${data}.${hmac('sha256', data)}`;
      },
      'tampered payload': () => {
        const [h, , s] = signAccessToken(alice.id, { secret: SECRET, expiresInS: 600 }).token.split('.');
        return `${h}.${b64url({ ...payload(), sub: admin.id })}.${s}`;
      },
      expired: () =>
        jwt.sign({ ...payload(), iat: 1_000_000, exp: 1_000_600 }, SECRET, { algorithm: 'HS256' }),
      'wrong secret': () =>
        jwt.sign(payload(), 'a-completely-different-secret-0123456789', { algorithm: 'HS256' }),
      'wrong audience': () => jwt.sign({ ...payload(), aud: 'someone-else' }, SECRET, { algorithm: 'HS256' }),
      'no issuer': () => {
        const { iss: _iss, ...rest } = payload();
        return jwt.sign(rest, SECRET, { algorithm: 'HS256' });
      },
      'no expiry': () => {
        const { exp: _exp, ...rest } = payload();
        return jwt.sign(rest, SECRET, { algorithm: 'HS256' });
      },
      'unknown user': () =>
        jwt.sign({ ...payload(), sub: '00000000-0000-4000-8000-000000000000' }, SECRET, {
          algorithm: 'HS256',
        }),
      garbage: () => 'not.a.jwt',
    };

    it('accepts a well-formed token (control)', async () => {
      const token = jwt.sign(payload(), SECRET, { algorithm: 'HS256' });
      assert.equal((await call(app, 'GET', '/probe', { headers: bearer(token) })).status, 200);
    });

    for (const [name, make] of Object.entries(attacks)) {
      it(`rejects ${name} with 401`, async () => {
        const r = await call(app, 'GET', '/probe', { headers: bearer(make()) });
        assertErrorBody(r, 401, 'UNAUTHORIZED');
        assert.equal(r.headers.get('www-authenticate'), 'Bearer');
      });
    }

    it('rejects a non-Bearer Authorization scheme', async () => {
      const r = await call(app, 'GET', '/probe', {
        headers: { authorization: `Basic ${Buffer.from('alice:x').toString('base64')}` },
      });
      assertErrorBody(r, 401, 'UNAUTHORIZED');
    });

    it('remembers a verified token only until its exp, and still notices a deleted user', async () => {
      let clock = Date.now();
      const authenticate = createAuthenticate({ config: app.config, repos: app.repos, now: () => clock });
      const probe = (authorization: string) =>
        new Promise<{ principal?: { user: { id: string } }; status?: number }>((resolve) => {
          const req = { method: 'GET', url: '/probe', headers: { authorization } } as any;
          const res = { setHeader: () => undefined } as any;
          authenticate(req, res, (err?: any) => resolve({ principal: req.principal, status: err?.status }));
        });
      const bob = await register(app, 'bob-cache');
      const expS = Math.floor(Date.now() / 1000) + 2;
      const token = jwt.sign({ ...payload(), sub: bob.id, exp: expS }, SECRET, { algorithm: 'HS256' });
      assert.equal((await probe(`Bearer ${token}`)).principal?.user.id, bob.id);
      // A token with one byte changed is verified on its own and fails; the good one still passes from the cache.
      assert.equal((await probe(`Bearer ${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`)).status, 401);
      assert.equal((await probe(`Bearer ${token}`)).principal?.user.id, bob.id);
      // Let the token expire: the point is that time passes, not that something happens.
      await new Promise((resolve) => setTimeout(resolve, expS * 1000 - Date.now() + 50));
      clock = Date.now();
      assert.equal((await probe(`Bearer ${token}`)).status, 401, 'past exp, a remembered token is refused');

      const fresh = jwt.sign({ ...payload(), sub: bob.id }, SECRET, { algorithm: 'HS256' });
      assert.equal((await probe(`Bearer ${fresh}`)).principal?.user.id, bob.id);
      await app.db('users').where({ id: bob.id }).delete();
      clock += 6_000;
      assert.equal((await probe(`Bearer ${fresh}`)).status, 401, 'a deleted user is refused once the user cache expires');
    });
  });

  describe('API keys', () => {
    it('creates a key shown once, lists it without secrets, authenticates with it and revokes it', async () => {
      const created = await call(app, 'POST', '/auth/api-keys', {
        headers: bearer(aliceToken),
        json: { name: 'ci', scopes: ['read', 'execute'], expires_in_days: 30 },
      });
      assert.equal(created.status, 201, created.text);
      const key = created.body;
      assert.deepEqual(Object.keys(key).sort(), [
        'created_at',
        'expires_at',
        'id',
        'key',
        'name',
        'prefix',
        'scopes',
      ]);
      assert.match(key.key, /^flk_[0-9A-Za-z]{40}$/);
      assert.ok(key.key.startsWith(key.prefix));
      assert.deepEqual(key.scopes, ['read', 'execute']);
      const expiresInDays = (Date.parse(key.expires_at) - Date.parse(key.created_at)) / 86_400_000;
      assert.ok(Math.abs(expiresInDays - 30) < 0.01);

      const list = await call(app, 'GET', '/auth/api-keys', { headers: bearer(aliceToken) });
      assert.equal(list.status, 200);
      assert.equal(list.body.total, 1);
      assert.equal(list.body.items[0].id, key.id);
      assert.equal(list.body.items[0].last_used_at, null);
      assert.ok(
        !list.text.includes(key.key) &&
          !list.text.includes(hashApiKey(key.key)) &&
          !list.text.includes('key_hash'),
      );

      const one = await call(app, 'GET', `/auth/api-keys/${key.id}`, { headers: bearer(aliceToken) });
      assert.equal(one.status, 200);
      assert.equal(one.body.name, 'ci');
      assert.ok(!('key' in one.body) && !('key_hash' in one.body));

      const probe = await call(app, 'GET', '/probe', { headers: { 'x-api-key': key.key } });
      assert.equal(probe.status, 200, probe.text);
      assert.equal(probe.body.via, 'api_key');
      assert.equal(probe.body.api_key_id, key.id);
      assert.equal(probe.body.user.id, alice.id);
      assert.deepEqual(probe.body.scopes, ['read', 'execute']);
      // A key in a Bearer header works too.
      assert.equal((await call(app, 'GET', '/probe', { headers: bearer(key.key) })).status, 200);
      assert.equal(
        (await call(app, 'POST', '/probe/execute', { headers: { 'x-api-key': key.key } })).status,
        200,
      );

      // last_used_at is written in the background.
      await until(async () => (await app.repos.apiKeys.get(key.id))?.last_used_at, 'last_used_at to be written', 500);

      const del = await call(app, 'DELETE', `/auth/api-keys/${key.id}`, { headers: bearer(aliceToken) });
      assert.equal(del.status, 204);
      assertErrorBody(
        await call(app, 'GET', '/probe', { headers: { 'x-api-key': key.key } }),
        401,
        'UNAUTHORIZED',
      );
      assert.equal(
        (await call(app, 'DELETE', `/auth/api-keys/${key.id}`, { headers: bearer(aliceToken) })).status,
        204,
      );

      const active = await call(app, 'GET', '/auth/api-keys', { headers: bearer(aliceToken) });
      assert.equal(active.body.total, 0);
      const all = await call(app, 'GET', '/auth/api-keys?include_revoked=true', {
        headers: bearer(aliceToken),
      });
      assert.equal(all.body.total, 1);
      assert.ok(all.body.items[0].revoked_at);
    });

    it('rejects unknown, malformed and expired keys with 401', async () => {
      assertErrorBody(
        await call(app, 'GET', '/probe', { headers: { 'x-api-key': generateApiKey().key } }),
        401,
        'UNAUTHORIZED',
      );
      assertErrorBody(
        await call(app, 'GET', '/probe', { headers: { 'x-api-key': 'nonsense' } }),
        401,
        'UNAUTHORIZED',
      );
      const expired = generateApiKey();
      await app.repos.apiKeys.create({
        owner_id: alice.id,
        name: 'old',
        prefix: expired.prefix,
        key_hash: expired.hash,
        scopes: ['read'],
        expires_at: new Date(Date.now() - 1000),
      });
      const r = await call(app, 'GET', '/probe', { headers: { 'x-api-key': expired.key } });
      assertErrorBody(r, 401, 'UNAUTHORIZED');
      assert.equal(r.headers.get('www-authenticate'), 'Bearer');
    });

    it('enforces scopes: a read-only key gets 403 on an execute route', async () => {
      const created = await call(app, 'POST', '/auth/api-keys', {
        headers: bearer(aliceToken),
        json: { name: 'ro', scopes: ['read'] },
      });
      const r = await call(app, 'POST', '/probe/execute', { headers: { 'x-api-key': created.body.key } });
      assertErrorBody(r, 403, 'FORBIDDEN');
      assert.equal(r.body.error.message, 'missing scope execute');
      // A JWT session has execute, but not admin unless the user is one.
      assert.equal((await call(app, 'POST', '/probe/execute', { headers: bearer(aliceToken) })).status, 200);
      assertErrorBody(
        await call(app, 'GET', '/probe/admin', { headers: bearer(aliceToken) }),
        403,
        'FORBIDDEN',
      );
      assert.equal((await call(app, 'GET', '/probe/admin', { headers: bearer(adminToken) })).status, 200);
    });

    it('lets only admins create admin keys; admin implies every scope', async () => {
      assertErrorBody(
        await call(app, 'POST', '/auth/api-keys', {
          headers: bearer(aliceToken),
          json: { name: 'x', scopes: ['admin'] },
        }),
        403,
        'FORBIDDEN',
      );
      const created = await call(app, 'POST', '/auth/api-keys', {
        headers: bearer(adminToken),
        json: { name: 'ops', scopes: ['admin'] },
      });
      assert.equal(created.status, 201);
      const adminKey = { 'x-api-key': created.body.key };
      const probe = await call(app, 'GET', '/probe', { headers: adminKey });
      assert.equal(probe.body.user.role, 'admin');
      assert.equal((await call(app, 'POST', '/probe/execute', { headers: adminKey })).status, 200);
      // An admin key may manage keys.
      assert.equal(
        (
          await call(app, 'POST', '/auth/api-keys', {
            headers: adminKey,
            json: { name: 'child', scopes: ['read'] },
          })
        ).status,
        201,
      );
    });

    it("does not give an admin's key without scope admin admin powers", async () => {
      const created = await call(app, 'POST', '/auth/api-keys', {
        headers: bearer(adminToken),
        json: { name: 'plain', scopes: ['read', 'write'] },
      });
      const key = { 'x-api-key': created.body.key };
      const probe = await call(app, 'GET', '/probe', { headers: key });
      assert.equal(probe.body.user.role, 'user');
      assert.deepEqual(probe.body.scopes, ['read', 'write']);
      assertErrorBody(await call(app, 'GET', '/probe/admin', { headers: key }), 403, 'FORBIDDEN');
      // Without admin scope, a key can read its owner's keys but not create or revoke keys.
      assert.equal((await call(app, 'GET', '/auth/api-keys', { headers: key })).status, 200);
      assertErrorBody(
        await call(app, 'POST', '/auth/api-keys', { headers: key, json: { name: 'x', scopes: ['read'] } }),
        403,
        'FORBIDDEN',
      );
      assertErrorBody(
        await call(app, 'DELETE', `/auth/api-keys/${created.body.id}`, { headers: key }),
        403,
        'FORBIDDEN',
      );
    });

    it("answers 404 for another user's key, even to an admin", async () => {
      const created = await call(app, 'POST', '/auth/api-keys', {
        headers: bearer(aliceToken),
        json: { name: 'mine', scopes: ['read'] },
      });
      const id = created.body.id;
      assertErrorBody(
        await call(app, 'GET', `/auth/api-keys/${id}`, { headers: bearer(adminToken) }),
        404,
        'NOT_FOUND',
      );
      assertErrorBody(
        await call(app, 'DELETE', `/auth/api-keys/${id}`, { headers: bearer(adminToken) }),
        404,
        'NOT_FOUND',
      );
      assertErrorBody(
        await call(app, 'GET', '/auth/api-keys/not-a-uuid', { headers: bearer(aliceToken) }),
        404,
        'NOT_FOUND',
      );
      const list = await call(app, 'GET', '/auth/api-keys', { headers: bearer(adminToken) });
      assert.ok(list.body.items.every((k: { id: string }) => k.id !== id));
      // Still usable: the admin's DELETE did nothing.
      assert.equal(
        (await call(app, 'GET', '/probe', { headers: { 'x-api-key': created.body.key } })).status,
        200,
      );
    });

    it('validates key requests with 422', async () => {
      const r = await call(app, 'POST', '/auth/api-keys', {
        headers: bearer(aliceToken),
        json: { name: '', scopes: [], expires_in_days: 0 },
      });
      assertErrorBody(r, 422, 'VALIDATION_ERROR');
      assert.deepEqual(Object.keys(r.body.error.details).sort(), ['expires_in_days', 'name', 'scopes']);
      assertErrorBody(
        await call(app, 'POST', '/auth/api-keys', {
          headers: bearer(aliceToken),
          json: { name: 'x', scopes: ['root'] },
        }),
        422,
        'VALIDATION_ERROR',
      );
    });
  });

  it('never returns a password hash from any auth endpoint', async () => {
    const replies = [
      await call(app, 'POST', '/auth/register', {
        json: { username: 'erin', email: 'erin@example.test', password: 'long-enough' },
      }),
      await call(app, 'POST', '/auth/login', { json: { username: 'erin', password: 'long-enough' } }),
      await call(app, 'GET', '/auth/me', { headers: bearer(aliceToken) }),
      await call(app, 'GET', '/probe', { headers: bearer(aliceToken) }),
      await call(app, 'GET', '/auth/api-keys?include_revoked=true', { headers: bearer(aliceToken) }),
    ];
    for (const r of replies) {
      assert.ok(r.status < 300, r.text);
      assert.ok(!/password|\$argon2/.test(r.text), r.text);
    }
  });
});

describe('failed logins per client address', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
    await register(app, 'grace');
  });
  after(() => app.close());

  it('blocks an address after 20 failures across any names, even for a right password', async () => {
    for (let i = 0; i < 20; i++) {
      const r = await postFrom(app, '127.0.0.4', '/auth/login', { username: `spray${i}`, password: 'Summer-2024!' });
      assert.equal(r.status, 401, `attempt ${i}`);
    }
    const blocked = await postFrom(app, '127.0.0.4', '/auth/login', { username: 'grace', password: 'correct horse battery' });
    assert.equal(blocked.status, 429, JSON.stringify(blocked.body));
    assert.equal(blocked.body.error.code, 'RATE_LIMITED');
    // The account itself is not blocked: from another address the owner gets in.
    const elsewhere = await postFrom(app, '127.0.0.6', '/auth/login', { username: 'grace', password: 'correct horse battery' });
    assert.equal(elsewhere.status, 200, JSON.stringify(elsewhere.body));
  });
});

describe('per-IP login limiter', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ LOGIN_RATE_LIMIT_PER_MINUTE: '3' });
  });
  after(() => app.close());

  it('answers 429 with Retry-After once an address exceeds loginPerMinute', async () => {
    const statuses: number[] = [];
    let last: Reply | undefined;
    for (let i = 0; i < 4; i++) {
      last = await call(app, 'POST', '/auth/login', {
        json: { username: `user${i}`, password: 'whatever-pw' },
      });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    assertErrorBody(last!, 429, 'RATE_LIMITED');
    assert.ok(Number(last!.headers.get('retry-after')) >= 1);
    assert.equal(last!.headers.get('x-ratelimit-limit'), '3');
    assert.equal(last!.headers.get('x-ratelimit-remaining'), '0');
  });
});
