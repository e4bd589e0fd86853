/**
 * A whole platform (API + worker, in this process) for API-level tests: the shared Temporal dev
 * server, a fresh database (Postgres when TEST_DATABASE_URL is set, else SQLite) and a unique
 * task queue, so suites never see each other's runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DestinationStream } from 'pino';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { startPlatform, type Platform } from '../../src/platform';
import { createPgTestDb, testDatabaseUrl, type TestDb } from './db';
import { getTestTemporal, uniqueTaskQueue } from './temporal-env';
import { until } from './wait';

/** A running test platform and a small HTTP client for it. */
export interface TestPlatform {
  platform: Platform;
  url: string;
  /** Calls the API; `token` is a bearer token or `{apiKey}`. */
  api(method: string, urlPath: string, body?: unknown, auth?: string | { apiKey: string }, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /** Registers a user and logs in; returns the token and user. */
  login(username?: string): Promise<{ token: string; user: any }>;
  stop(): Promise<void>;
}

let userSeq = 0;

/** Starts a platform for one suite; `options.logDestination` receives its log lines (with LOG_LEVEL set in `env`). */
export async function startTestPlatform(
  env: Record<string, string> = {},
  options: { logDestination?: DestinationStream } = {},
): Promise<TestPlatform> {
  const temporal = await getTestTemporal();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-platform-'));
  let pg: TestDb | undefined;
  const pgUrl = testDatabaseUrl();
  if (pgUrl) pg = await createPgTestDb(pgUrl);
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATA_DIR: dataDir,
    DATABASE_URL: pg && pg.database.client === 'pg' ? pg.database.url : `sqlite:${path.join(dataDir, 'flows.sqlite')}`,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('platform'),
    HTTP_ALLOWED_HOSTS: '127.0.0.1,localhost',
    RATE_LIMIT_PER_MINUTE: '100000',
    LOGIN_RATE_LIMIT_PER_MINUTE: '10000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WORKER_PROCESS: 'inline',
    ...env,
  });
  if (pg) await pg.db.destroy();
  const platform = await startPlatform(config, createLogger(config.logLevel, {}, options.logDestination));
  const url = platform.apiUrl as string;

  const api: TestPlatform['api'] = async (method, urlPath, body, auth, headers = {}) => {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined) h['content-type'] = 'application/json';
    if (typeof auth === 'string') h.authorization = `Bearer ${auth}`;
    else if (auth) h['x-api-key'] = auth.apiKey;
    const res = await fetch(url + urlPath, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };

  return {
    platform,
    url,
    api,
    async login(username = `user${process.pid}_${++userSeq}`) {
      const password = 'correct horse battery staple';
      const reg = await api('POST', '/api/v1/auth/register', { username, email: `${username}@example.test`, password });
      if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
      const login = await api('POST', '/api/v1/auth/login', { username, password });
      if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
      return { token: login.body.access_token, user: reg.body };
    },
    async stop() {
      await platform.stop();
      if (pg) {
        await pg.destroy().catch(() => undefined);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls a run until it reaches a terminal status (or `statuses`). */
export async function waitForRun(
  tp: TestPlatform,
  token: string,
  id: string,
  statuses: string[] = ['completed', 'failed', 'cancelled', 'terminated', 'timed_out'],
  timeoutMs = 30_000,
): Promise<any> {
  let last: any;
  return until(
    async () => {
      last = (await tp.api('GET', `/api/v1/executions/${id}`, undefined, token)).body;
      return statuses.includes(last?.status) ? last : undefined;
    },
    () => `run ${id} (still ${last?.status} after ${timeoutMs} ms: ${JSON.stringify(last)})`,
    timeoutMs,
  );
}
