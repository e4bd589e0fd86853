import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { raceInChildren } from '../helpers/race-children';

describe('configuration', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-config-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('has the documented defaults: port 8037, SQLite in DATA_DIR, embedded Temporal', () => {
    const c = loadConfig({ DATA_DIR: dataDir });
    assert.equal(c.port, 8037);
    assert.deepEqual(c.database, { client: 'sqlite', filename: path.join(dataDir, 'flows.sqlite') });
    assert.equal(c.temporal.address, undefined);
    assert.equal(c.temporal.namespace, 'default');
    assert.equal(c.temporal.taskQueue, 'flows');
    assert.equal(c.temporal.uiUrl, 'http://localhost:8233');
    assert.deepEqual(c.httpAllowedHosts, []);
    assert.deepEqual(c.rateLimit, { perMinute: 600, loginPerMinute: 10, liveConnectionsPerUser: 20 });
    assert.equal(loadConfig({ DATA_DIR: dataDir, LIVE_CONNECTIONS_PER_USER: '5' }).rateLimit.liveConnectionsPerUser, 5);
  });

  it('selects Postgres from DATABASE_URL and parses the allow-list', () => {
    const c = loadConfig({
      DATA_DIR: dataDir,
      DATABASE_URL: 'postgres://u:p@db:5432/flows',
      TEMPORAL_ADDRESS: 'temporal:7233',
      HTTP_ALLOWED_HOSTS: '127.0.0.1, localhost,10.0.0.0/8',
    });
    assert.deepEqual(c.database, { client: 'pg', url: 'postgres://u:p@db:5432/flows' });
    assert.equal(c.temporal.address, 'temporal:7233');
    assert.deepEqual(c.httpAllowedHosts, ['127.0.0.1', 'localhost', '10.0.0.0/8']);
  });

  it('reports every problem at once', () => {
    assert.throws(
      () =>
        loadConfig({
          DATA_DIR: dataDir,
          PORT: 'eighty',
          DATABASE_URL: 'mysql://x',
          TEMPORAL_ADDRESS: 'no-port',
          JWT_SECRET: 'short',
          LOG_LEVEL: 'loud',
        }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const names = err.problems.map((p) => p.split(':')[0]);
        for (const n of ['PORT', 'DATABASE_URL', 'TEMPORAL_ADDRESS', 'JWT_SECRET', 'LOG_LEVEL']) {
          assert.ok(names.includes(n), `${n} missing from ${err.message}`);
        }
        return true;
      },
    );
  });

  it('requires the secrets in production', () => {
    assert.throws(
      () => loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'production' }),
      (err: unknown) => err instanceof ConfigError && err.problems.length === 2 && /JWT_SECRET/.test(err.message) && /ENCRYPTION_KEY/.test(err.message),
    );
  });

  it('generates development secrets once and keeps them across restarts', () => {
    const a = loadConfig({ DATA_DIR: dataDir });
    const b = loadConfig({ DATA_DIR: dataDir });
    assert.equal(a.jwt.secret, b.jwt.secret);
    assert.ok(a.jwt.secret.length >= 64);
    assert.equal(a.encryptionKey.length, 32);
    assert.deepEqual(a.encryptionKey, b.encryptionKey);
    const mode = fs.statSync(path.join(dataDir, 'secrets', 'jwt-secret')).mode & 0o777;
    assert.equal(mode, 0o600);
  });

  it('gives every process the same development secrets when several start at once', async function () {
    this.timeout(60_000);
    const outcomes = await raceInChildren(
      6,
      `const { loadConfig } = require('./src/config');
       const c = loadConfig({ DATA_DIR: ${JSON.stringify(dataDir)} });
       return { jwt: c.jwt.secret, key: c.encryptionKey.toString('hex') };`,
    );
    const values = outcomes.map((o) => {
      assert.ok(o.ok, o.ok ? '' : o.error);
      return o.value as { jwt: string; key: string };
    });
    assert.equal(new Set(values.map((v) => v.jwt)).size, 1, JSON.stringify(values));
    assert.equal(new Set(values.map((v) => v.key)).size, 1, JSON.stringify(values));
    assert.equal(values[0].jwt.length, 64);
    const again = loadConfig({ DATA_DIR: dataDir });
    assert.equal(again.jwt.secret, values[0].jwt, 'the file holds the value every starter got');
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'secrets')).sort(), ['encryption-key', 'jwt-secret'], 'no temporary files left');
  });

  it('refuses an empty development secret file instead of signing with an empty key', () => {
    fs.mkdirSync(path.join(dataDir, 'secrets'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'secrets', 'jwt-secret'), '');
    assert.throws(() => loadConfig({ DATA_DIR: dataDir }), (err: unknown) => err instanceof ConfigError && /jwt-secret is empty/.test(err.message));
  });
});
