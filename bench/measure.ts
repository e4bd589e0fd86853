/**
 * Small helpers shared by the benchmarks: summary statistics, CPU of a process, the machine's
 * state, an API client and the platform started as `./dev up` starts it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getFreePort } from '../src/temporal/dev-server';

/** Mean and percentiles of a sample. */
export interface Stats {
  mean: number;
  p50: number;
  p95: number;
}

/** Mean, p50 and p95 (nearest rank) of `values`. */
export function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { mean: mean(values), p50: pick(0.5), p95: pick(0.95) };
}

/** Arithmetic mean. */
export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** `mean / p50 / p95` with one decimal. */
export function formatStats(s: Stats): string {
  return `${s.mean.toFixed(1)} / ${s.p50.toFixed(1)} / ${s.p95.toFixed(1)}`;
}

/** The 1, 5 and 15 minute load averages. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** CPU time (user + system) of a process from /proc, in ms (10 ms resolution); 0 where /proc is unavailable. */
export function procCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in USER_HZ (100)
  } catch {
    return 0;
  }
}

/** The commit measured, marked `+local changes` when any of `paths` differs from it. */
export function codeVersion(paths: string[] = ['workflows', 'src', 'activities']): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', ...paths], {
      encoding: 'utf8',
    }).trim();
    return dirty ? `${commit} +local changes` : commit;
  } catch {
    return 'unknown';
  }
}

/**
 * The benches' 3-node flow (start → noop → end, with a template on each side): the flow of the
 * issue's "3-node" targets, as `POST /workflows` takes it.
 */
export function threeNodeFlow(name: string, description?: string) {
  return {
    name,
    ...(description ? { description } : {}),
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'work', type: 'noop', data: { value: '{{ input.n }}' } },
      { id: 'end', type: 'end', data: { output: { n: '{{ work.result }}' } } },
    ],
    edges: [
      { source: 'start', target: 'work' },
      { source: 'work', target: 'end' },
    ],
  };
}

/**
 * Makes the workflow threads this process starts from now on run with the platform's shared
 * sandbox watchdog (`src/worker/sandbox-watchdog.ts`), as a supervised worker of `./dev up` does;
 * `per-entry` leaves the Temporal SDK's default (a watchdog thread per entry into the sandbox).
 * Threads inherit `process.execArgv` when they are created, so call this before `Worker.create`.
 * Not for `debugMode`, where workflows run in this thread.
 */
export function useSandboxWatchdog(mode: string): 'shared' | 'per-entry' {
  if (mode !== 'shared' && mode !== 'per-entry') throw new Error(`--watchdog: ${mode} is not shared or per-entry`);
  if (mode === 'shared') process.execArgv.push('--require', require.resolve('../src/worker/sandbox-watchdog-preload'));
  return mode;
}

/** A JSON client for the platform's API at `baseUrl`; `signUp` registers a user and keeps its token. */
export function apiClient(baseUrl: string) {
  let token: string | undefined;
  const call = async (method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(baseUrl + urlPath, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed };
  };
  return {
    call,
    setToken(t: string) {
      token = t;
    },
    /** The `authorization` header of the signed-in user (for a request not made through `call`). */
    authorization(): Record<string, string> {
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    /** Registers `username` (paths relative to `baseUrl`: `authPath` is where `/register` and `/login` are) and logs in. */
    async signUp(username = 'bench', authPath = '/auth') {
      const password = 'correct horse battery staple';
      const registered = await call('POST', `${authPath}/register`, { username, email: `${username}@example.test`, password });
      if (registered.status !== 201) throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body).slice(0, 300)}`);
      const login = await call('POST', `${authPath}/login`, { username, password });
      if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body).slice(0, 300)}`);
      token = login.body.access_token;
    },
  };
}

/** A {@link apiClient}. */
export type Api = ReturnType<typeof apiClient>;

/** Polls `url` until it answers 2xx; throws after `timeoutMs`. */
export async function waitUntilUp(url: string, what: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fetch(url).catch(() => undefined))?.ok) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The platform as `./dev up` starts it, in a process of its own (see {@link startDevUp}). */
export interface DevUp {
  process: ChildProcess;
  /** The API's base URL, `http://127.0.0.1:<port>/api/v1`. */
  api: string;
  /** Port of its embedded Temporal dev server. */
  temporalPort: number;
  stop(): Promise<void>;
}

/**
 * Starts `src/main.ts` with `./dev up`'s defaults (embedded file-backed dev server, SQLite, the
 * worker in its supervised process) in a fresh data directory and free ports, and waits until
 * `/health` answers. `env` adds to (or overrides) the process's environment.
 */
export async function startDevUp(env: Record<string, string> = {}, stdout: 'pipe' | 'ignore' = 'ignore'): Promise<DevUp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-devup-'));
  const port = await getFreePort();
  const temporalPort = await getFreePort();
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), 'src/main.ts'], {
    env: {
      ...process.env,
      DATA_DIR: dir,
      PORT: String(port),
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(await getFreePort()),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '1000000',
      ...env,
    },
    stdio: ['ignore', stdout, 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(`http://127.0.0.1:${port}/health`, 'the platform');
  } catch (err) {
    await stop();
    throw err;
  }
  return { process: child, api: `http://127.0.0.1:${port}/api/v1`, temporalPort, stop };
}
