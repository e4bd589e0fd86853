import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The only reader of `process.env`. Everything the platform can be configured with is validated
 * here at start-up, and every problem is reported at once.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const hostPort = z.string().regex(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, 'must be host:port');

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8037),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'must start with postgres://, postgresql:// or sqlite:')
    .optional(),
  TEMPORAL_ADDRESS: hostPort.optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('flows'),
  TEMPORAL_UI_URL: z.string().url().optional(),
  TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPORAL_CLI_PATH: z.string().optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters (256 bits)').optional(),
  JWT_EXPIRES_IN_S: z.coerce.number().int().min(60).default(3600),
  ENCRYPTION_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$|^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes as 64 hex characters or base64')
    .optional(),
  ENCRYPTION_KEY_PREVIOUS: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$|^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes as 64 hex characters or base64')
    .optional(),
  HTTP_ALLOWED_HOSTS: z.string().default(''),
  PUBLIC_URL: z.string().url().optional(),
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 1mb or 512kb').default('1mb'),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  LOGIN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  LIVE_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).default(20),
  LLM_BASE_URL: z.string().url().optional(),
  LLM_API_KEY: z.string().optional(),
  LLM_MODEL: z.string().default('gpt-4o-mini'),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional(),
  SMTP_FROM: z.string().default('flows@localhost'),
  RUN_WORKER: bool.default('true'),
  RUN_API: bool.default('true'),
  WORKER_PROCESS: z.enum(['child', 'inline']).default('child'),
  SANDBOX_WATCHDOG: z.enum(['shared', 'per-entry']).default('shared'),
  RUN_BACKLOG_LIMIT_MS: z.coerce.number().int().min(0).default(30_000),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Validated, typed configuration. */
export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  database: { client: 'sqlite'; filename: string } | { client: 'pg'; url: string };
  temporal: {
    /** Unset: the platform starts an embedded dev server. */
    address?: string;
    namespace: string;
    taskQueue: string;
    uiUrl: string;
    devPort: number;
    uiPort: number;
    cliPath?: string;
  };
  jwt: { secret: string; expiresInS: number };
  encryptionKey: Buffer;
  /** The key secrets were encrypted with before a rotation: still read, never written (docs/credentials.md). */
  previousEncryptionKey?: Buffer;
  httpAllowedHosts: string[];
  /**
   * Base URL of links the platform sends out (approval decision links in webhooks), as users reach
   * the API; unset: the API's own address.
   */
  publicUrl?: string;
  bodyLimit: string;
  /** Per-client request limits, and how many live event connections (WebSocket + SSE) a user may hold open. */
  rateLimit: { perMinute: number; loginPerMinute: number; liveConnectionsPerUser: number };
  llm: { baseUrl?: string; apiKey?: string; model: string };
  smtp: { url?: string; from: string };
  runWorker: boolean;
  runApi: boolean;
  /**
   * With both the API and the worker on: `child` runs the worker in a supervised child process,
   * restarted if it dies, so a worker crash never takes the API down; `inline` runs it in this
   * process (tests, and one-process deployments that accept the risk).
   */
  workerProcess: 'child' | 'inline';
  /** How a supervised worker process watches its workflow sandbox (docs/engine.md, "The sandbox watchdog"). */
  sandboxWatchdog: 'shared' | 'per-entry';
  /**
   * New runs are refused (429, `Retry-After`) while the oldest task no worker has taken is older
   * than this; 0: never (docs/api.md "Backpressure").
   */
  runBacklogLimitMs: number;
  /** A bearer token that may read `GET /metrics` (besides admins); unset: admins only. */
  metricsToken?: string;
  /** The environment this configuration was read from (a supervised worker is started with it). */
  sourceEnv: Readonly<NodeJS.ProcessEnv>;
  logLevel: string;
}

/** Thrown when the environment is invalid; `problems` lists every one of them. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const errorCode = (err: unknown) => (err as NodeJS.ErrnoException).code;

/**
 * The secret in `file`, or undefined when there is none. Only the O_EXCL fallback below can leave a
 * file empty for a moment, so an empty one is read again for up to a second before it is an error.
 */
function readSecret(file: string): string | undefined {
  for (let attempt = 0; ; attempt++) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8').trim();
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    if (text) return text;
    if (attempt === 20) throw new ConfigError([`${file} is empty: delete it to have a new secret generated`]);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

/**
 * Reads or creates a development secret kept in DATA_DIR, so restarts keep tokens and ciphertexts
 * valid. Safe when several processes start at once on a fresh DATA_DIR (API and worker): the value
 * is written in full to a file of its own and hard-linked into place, which fails if the file
 * already exists, so exactly one starter's value wins and everyone reads that one complete.
 */
function devSecret(dataDir: string, name: string, bytes: number): string {
  const file = path.join(dataDir, 'secrets', name);
  const existing = readSecret(file);
  if (existing) return existing;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const value = randomBytes(bytes).toString('hex');
  const tmp = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, value, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
    return value;
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return readSecret(file)!;
    // A file system without hard links: create the file exclusively instead.
    try {
      fs.writeFileSync(file, value, { mode: 0o600, flag: 'wx' });
      return value;
    } catch (err2) {
      if (errorCode(err2) === 'EEXIST') return readSecret(file)!;
      throw err2;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Validates `env` and returns the configuration, or throws a {@link ConfigError} naming every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  if (e.NODE_ENV === 'production') {
    if (!e.JWT_SECRET) problems.push('JWT_SECRET: required in production');
    if (!e.ENCRYPTION_KEY) problems.push('ENCRYPTION_KEY: required in production');
  }
  if (problems.length) throw new ConfigError(problems);

  const dataDir = path.resolve(e.DATA_DIR);
  const dbUrl = e.DATABASE_URL;
  const database: Config['database'] =
    dbUrl && /^postgres/.test(dbUrl)
      ? { client: 'pg', url: dbUrl }
      : {
          client: 'sqlite',
          filename: dbUrl ? dbUrl.replace(/^sqlite:(\/\/)?/, '') : path.join(dataDir, 'flows.sqlite'),
        };
  const secret = e.JWT_SECRET ?? devSecret(dataDir, 'jwt-secret', 32);
  const keyText = e.ENCRYPTION_KEY ?? devSecret(dataDir, 'encryption-key', 32);
  const keyBytes = (text: string) => (/^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64'));
  const encryptionKey = keyBytes(keyText);

  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir,
    database,
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: (e.TEMPORAL_UI_URL ?? `http://localhost:${e.TEMPORAL_UI_PORT}`).replace(/\/$/, ''),
      devPort: e.TEMPORAL_DEV_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
      cliPath: e.TEMPORAL_CLI_PATH,
    },
    jwt: { secret, expiresInS: e.JWT_EXPIRES_IN_S },
    encryptionKey,
    ...(e.ENCRYPTION_KEY_PREVIOUS ? { previousEncryptionKey: keyBytes(e.ENCRYPTION_KEY_PREVIOUS) } : {}),
    httpAllowedHosts: e.HTTP_ALLOWED_HOSTS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    ...(e.PUBLIC_URL ? { publicUrl: e.PUBLIC_URL.replace(/\/+$/, '') } : {}),
    bodyLimit: e.BODY_LIMIT,
    rateLimit: {
      perMinute: e.RATE_LIMIT_PER_MINUTE,
      loginPerMinute: e.LOGIN_RATE_LIMIT_PER_MINUTE,
      liveConnectionsPerUser: e.LIVE_CONNECTIONS_PER_USER,
    },
    llm: { baseUrl: e.LLM_BASE_URL, apiKey: e.LLM_API_KEY, model: e.LLM_MODEL },
    smtp: { url: e.SMTP_URL, from: e.SMTP_FROM },
    runWorker: e.RUN_WORKER,
    runApi: e.RUN_API,
    workerProcess: e.WORKER_PROCESS,
    sandboxWatchdog: e.SANDBOX_WATCHDOG,
    runBacklogLimitMs: e.RUN_BACKLOG_LIMIT_MS,
    ...(e.METRICS_TOKEN ? { metricsToken: e.METRICS_TOKEN } : {}),
    sourceEnv: env,
    logLevel: e.LOG_LEVEL,
  };
}

/**
 * The environment of a supervised worker process: the one `config` was read from, with the
 * worker's role and the Temporal server this process uses.
 */
export function workerChildEnv(config: Config, temporalAddress: string): NodeJS.ProcessEnv {
  return {
    ...config.sourceEnv,
    RUN_API: 'false',
    RUN_WORKER: 'true',
    WORKER_PROCESS: 'inline',
    TEMPORAL_ADDRESS: temporalAddress,
    // Relative paths resolve the same way in the child.
    DATA_DIR: config.dataDir,
  };
}
