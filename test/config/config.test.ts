import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

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
});
