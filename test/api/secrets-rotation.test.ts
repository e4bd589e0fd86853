/**
 * Rotating ENCRYPTION_KEY without downtime (docs/credentials.md, "Rotating the key"): values
 * sealed under key A stay usable on a platform started with ENCRYPTION_KEY=B and
 * ENCRYPTION_KEY_PREVIOUS=A; `npm run rotate-secrets` (run here as its command) re-seals them all
 * under B while that platform runs; afterwards B alone opens everything.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createSecretBox } from '../../src/services/secret-box';
import { SEALED_COLUMNS } from '../../src/storage';
import { createPgTestDb, testDatabaseUrl, type TestDb } from '../helpers/db';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';

const KEY_A = randomBytes(32).toString('hex');
const KEY_B = randomBytes(32).toString('hex');
const TOKEN = `rotation-token-${randomBytes(8).toString('hex')}`;
const JWT_SECRET = randomBytes(32).toString('hex');
const ROOT = path.resolve(__dirname, '../..');

describe('key rotation: ENCRYPTION_KEY_PREVIOUS and npm run rotate-secrets', function () {
  this.timeout(180_000);
  let dir: string;
  let databaseUrl: string;
  let pg: TestDb | undefined;
  let server: http.Server;
  let serverUrl: string;
  const authorizations: (string | undefined)[] = [];
  let tp: TestPlatform | undefined;
  let token: string;
  const ids = { credential: '', flow: '', hookFlow: '', hookSecret: '' };

  const start = async (env: Record<string, string>) => {
    tp = await startTestPlatform({ DATABASE_URL: databaseUrl, JWT_SECRET, ...env });
    const login = await tp.api('POST', '/api/v1/auth/login', { username: 'rotator', password: 'correct horse battery staple' });
    token = login.body.access_token ?? (await tp.login('rotator')).token;
    return tp;
  };
  const stop = async () => {
    await tp?.stop();
    tp = undefined;
  };
  const api = (method: string, p: string, body?: unknown) => tp!.api(method, `/api/v1${p}`, body, token);

  /** Runs the flow that calls the loopback server with the credential; true when the server got the token. */
  const credentialWorks = async () => {
    authorizations.length = 0;
    const r = await api('POST', `/workflows/${ids.flow}/execute`, { wait: true });
    assert.equal(r.body.status, 'completed', JSON.stringify(r.body));
    return authorizations[0] === `Bearer ${TOKEN}`;
  };
  /** Calls the hmac-signed hook with a signature under the secret issued under key A. */
  const hookAccepts = async () => {
    const body = JSON.stringify({ ping: 1 });
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = createHmac('sha256', ids.hookSecret).update(`${ts}.${body}`).digest('hex');
    const res = await fetch(`${tp!.url}/hooks/${ids.hookFlow}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': `sha256=${sig}` },
      body,
    });
    const answer = (await res.json()) as { execution_id: string };
    if (res.status !== 202) return false;
    return (await waitForRun(tp!, token, answer.execution_id)).status === 'completed';
  };
  /** Every sealed value in the database, by column. */
  const sealedValues = async () => {
    const out: { column: string; value: string }[] = [];
    for (const col of SEALED_COLUMNS) {
      if (!(await tp!.platform.db.schema.hasTable(col.table))) continue;
      const rows = await tp!.platform.db(col.table).whereNotNull(col.column).select({ value: col.column });
      out.push(...rows.map((r: { value: string }) => ({ column: `${col.table}.${col.column}`, value: r.value })));
    }
    return out;
  };
  const rotate = async (env: Record<string, string>) =>
    promisify(execFile)(path.join(ROOT, 'node_modules/.bin/tsx'), ['src/tools/rotate-secrets.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: 'test', DATA_DIR: dir, DATABASE_URL: databaseUrl, ...env },
    });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-rotation-'));
    const pgUrl = testDatabaseUrl();
    if (pgUrl) {
      pg = await createPgTestDb(pgUrl);
      databaseUrl = (pg.database as { url: string }).url;
      await pg.db.destroy();
    } else databaseUrl = `sqlite:${path.join(dir, 'flows.sqlite')}`;
    server = http.createServer((req, res) => {
      authorizations.push(req.headers.authorization);
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (pg) await pg.destroy().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('seals a credential and both kinds of webhook secret under key A', async () => {
    await start({ ENCRYPTION_KEY: KEY_A });
    const credential = await api('POST', '/credentials', { name: 'api', type: 'http_bearer', data: { token: TOKEN } });
    assert.equal(credential.status, 201, JSON.stringify(credential.body));
    const flow = await api('POST', '/workflows', {
      name: 'calls the api',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'call', type: 'http-request', data: { url: serverUrl, credential: 'api' } },
      ],
      edges: [{ source: 'start', target: 'call' }],
    });
    const hookFlow = await api('POST', '/workflows', {
      name: 'signed hook',
      trigger: { type: 'webhook', auth: 'hmac' },
      nodes: [{ id: 'start', type: 'start' }],
      edges: [],
    });
    const webhook = await api('POST', '/webhooks', { url: 'http://127.0.0.1:9/rotation', events: ['approval.requested'] });
    assert.equal(webhook.status, 201, JSON.stringify(webhook.body));
    Object.assign(ids, { credential: credential.body.id, flow: flow.body.id, hookFlow: hookFlow.body.id, hookSecret: hookFlow.body.hook.secret });
    assert.ok(await credentialWorks());
    assert.ok(await hookAccepts());
    const sealed = await sealedValues();
    assert.deepEqual(sealed.map((s) => s.column).sort(), ['credentials.encrypted_data', 'flow_hooks.secret_encrypted', 'webhooks.secret_encrypted']);
    assert.ok(sealed.every((s) => createSecretBox(Buffer.from(KEY_A, 'hex')).isCurrent(s.value)));
    await stop();
  });

  it('keeps them usable with ENCRYPTION_KEY=B and ENCRYPTION_KEY_PREVIOUS=A, and re-seals them under B while the platform runs', async () => {
    await start({ ENCRYPTION_KEY: KEY_B, ENCRYPTION_KEY_PREVIOUS: KEY_A });
    const onlyB = createSecretBox(Buffer.from(KEY_B, 'hex'));
    for (const s of await sealedValues()) assert.throws(() => onlyB.open(s.value), `${s.column} is still under A`);
    assert.notEqual((await api('GET', `/credentials/${ids.credential}`)).body.preview, null);
    assert.ok(await credentialWorks(), 'the worker opens the credential with the previous key');
    assert.ok(await hookAccepts(), 'the hook secret opens with the previous key');

    const { stdout } = await rotate({ ENCRYPTION_KEY: KEY_B, ENCRYPTION_KEY_PREVIOUS: KEY_A });
    assert.match(stdout, /^credentials\.encrypted_data: 1 re-sealed, 0 already current$/m);
    assert.match(stdout, /^flow_hooks\.secret_encrypted: 1 re-sealed, 0 already current$/m);
    assert.match(stdout, /^webhooks\.secret_encrypted: 1 re-sealed, 0 already current$/m);
    for (const s of await sealedValues()) assert.ok(onlyB.isCurrent(s.value), s.column);
    assert.ok(await credentialWorks(), 'and still works right after the rotation');
    await stop();
  });

  it('needs only B afterwards: everything opens, the store and the hook work, and a second rotation has nothing to do', async () => {
    await start({ ENCRYPTION_KEY: KEY_B });
    const onlyB = createSecretBox(Buffer.from(KEY_B, 'hex'));
    const sealed = await sealedValues();
    assert.equal(sealed.length, 3);
    for (const s of sealed) assert.doesNotThrow(() => onlyB.open(s.value), s.column);
    assert.deepEqual((await api('GET', `/credentials/${ids.credential}`)).body.preview, { token: 'rot…'.concat(TOKEN.slice(-4)) });
    assert.ok(await credentialWorks());
    assert.ok(await hookAccepts());

    const again = await rotate({ ENCRYPTION_KEY: KEY_B });
    assert.match(again.stdout, /^credentials\.encrypted_data: 0 re-sealed, 1 already current$/m);
    assert.match(again.stderr, /ENCRYPTION_KEY_PREVIOUS is not set/);
  });

  it('reports values that neither key opens and exits 1, leaving them as they are', async () => {
    const other = randomBytes(32).toString('hex');
    await assert.rejects(rotate({ ENCRYPTION_KEY: other }), (err: { code?: number; stdout?: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stdout ?? '', /^credentials\.encrypted_data: 0 re-sealed, 0 already current, 1 unreadable \(rows [0-9a-f-]{36}\)$/m);
      return true;
    });
    const onlyB = createSecretBox(Buffer.from(KEY_B, 'hex'));
    for (const s of await sealedValues()) assert.ok(onlyB.isCurrent(s.value), s.column);
  });
});
