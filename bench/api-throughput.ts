/**
 * API throughput: one API process (RUN_WORKER=false) under autocannon, on SQLite and on Postgres.
 *
 *   npx tsx bench/api-throughput.ts [--seconds 10] [--connections 50] [--db sqlite,postgres]
 *     [--pg-url postgres://…] [--log-level info] [--auth jwt|api-key] [--only GET] [--repeat 3] [--busy-us 250]
 *     [--cpu-prof DIR] [--client autocannon|wrk]
 *
 * Scenarios, one after another against the same API process: a bare `node:http` server in that
 * process answering `{"ok":true}` (the machine's floor at that moment), the same server burning
 * `--busy-us` of CPU per request (an ideal server about as costly as the API: the p99 that
 * queueing alone gives at its throughput), Express 5 with one route answering a flow-sized body
 * (the framework's floor: no middleware, database, auth or logging), `GET /api/v1/workflows/{id}`,
 * `GET /api/v1/workflows` (a page of 20 out of 100 flows), `POST /api/v1/workflows` (a 3-node flow),
 * each with a JWT (`--auth api-key`: an API key), after a 2 s warm-up; `--only` picks scenarios.
 * The load comes from autocannon in this process or, with `--client wrk`, from wrk (apt package
 * `wrk`). The API runs in a child process so that the load generator does not share its event
 * loop; it logs at `--log-level` to /dev/null (serialisation cost included).
 * Postgres: a fresh database is created next to `--pg-url` (default: what `.ci/postgres.sh`
 * prints) and dropped afterwards. A Temporal dev server is started because the API connects to
 * one, but no run is started. Results: docs/benchmarks.md, "API throughput".
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import knex from 'knex';
import { createAppServer } from '../src/api/server';
import { oneRouteApp } from './one-route-app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startPlatform } from '../src/platform';
import { findTemporalCli } from '../src/temporal/cli';
import { getFreePort, startDevServer } from '../src/temporal/dev-server';
import { threeNodeFlow } from './measure';

const FLOW = threeNodeFlow('bench flow', 'three nodes');

/** Child: runs the platform's API and reports its URL over IPC; exits on "stop". */
async function serveApi(): Promise<void> {
  const env = JSON.parse(process.env.BENCH_API_ENV ?? '{}') as Record<string, string>;
  const config = loadConfig(env);
  const platform = await startPlatform(config, createLogger(config.logLevel));
  // The floor: what this process answers per second with no framework, auth, database or logging.
  const bare = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  // An ideal server as costly as ours: synchronous, no GC pressure, a fixed CPU cost per request.
  // Its p99 is what queueing alone gives at that throughput with 50 connections on this machine.
  const busyMs = Number(process.env.BENCH_BUSY_US ?? 250) / 1000;
  const busy = http.createServer((_req, res) => {
    const until = performance.now() + busyMs;
    while (performance.now() < until);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  // The framework's floor: Express 5 with one router and one route answering a flow-sized JSON
  // body, no middleware, database, auth or logging.
  const flowBody = { id: randomUUID(), owner_id: randomUUID(), ...FLOW, status: 'draft', enabled: true, trigger: { type: 'manual' }, settings: {}, version: 1, created_at: new Date().toISOString(), updated_at: new Date().toISOString() };
  // With the API's server (Express's prototypes from birth), as the API has it.
  const floor = createAppServer(oneRouteApp(flowBody));
  await new Promise<void>((resolve) => floor.listen(0, '127.0.0.1', resolve));
  process.send?.({
    url: platform.apiUrl,
    expressUrl: `http://127.0.0.1:${(floor.address() as AddressInfo).port}`,
    bareUrl: `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`,
    busyUrl: `http://127.0.0.1:${(busy.address() as AddressInfo).port}/`,
  });
  process.on('message', (m) => {
    if (m === 'stop') void platform.stop().finally(() => process.exit(0));
  });
}

interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

interface Row {
  db: string;
  scenario: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  cpuPct: number;
  /** CPU of the load generator, in % of one core. */
  clientCpuPct: number;
  /** CPU time the hypervisor took for other guests, in % of all cores' time (0 on a dedicated machine). */
  stealPct: number;
  /** CPU of every `postgres` server process over the run, in % of one core (SQLite: in the API process). */
  dbCpuPct: number | null;
  /** Lowest–highest req/s and p99 over the repeated runs. */
  rpsRange: string;
  p99Range: string;
}

function procCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** CPU time of every process named `postgres` (the server and its backends), in ms. */
function postgresCpuMs(): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      total += procCpuMs(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** CPU time the hypervisor gave to other guests (`steal` in /proc/stat, all CPUs), in ms. */
function stealMs(): number {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    return (Number(cpu[8]) * 1000) / 100;
  } catch {
    return 0;
  }
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

async function call(url: string, method: string, urlPath: string, body?: unknown, token?: string): Promise<any> {
  const res = await fetch(url + urlPath, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${urlPath}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

interface ApiProcess {
  child: ChildProcess;
  url: string;
  bareUrl: string;
  busyUrl: string;
  expressUrl: string;
}

function startApi(env: Record<string, string>, cpuProfDir?: string): Promise<ApiProcess> {
  const execArgv = [...process.execArgv, ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [])];
  const child = fork(__filename, ['--serve'], {
    env: { ...process.env, BENCH_API_ENV: JSON.stringify(env) },
    execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: Omit<ApiProcess, 'child'>) => resolve({ child, ...m }));
    child.once('exit', (code) => reject(new Error(`API process exited with ${code}`)));
  });
}

function stopApi(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send('stop');
  });
}

/** What one measured run gives, whichever client produced it. */
interface Hammered {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** CPU of the load generator over the run, in % of one core. */
  clientCpuPct: number;
}

function hammer(client: Client, url: string, s: Scenario, credentials: Record<string, string>, connections: number, seconds: number) {
  return client === 'wrk' ? wrk(url, s, credentials, connections, seconds) : cannon(url, s, credentials, connections, seconds);
}

/** autocannon, in this process: it shares this process's event loop with nothing else. */
async function cannon(url: string, s: Scenario, credentials: Record<string, string>, connections: number, seconds: number): Promise<Hammered> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await autocannon({
    url: url + s.path,
    method: s.method,
    connections,
    duration: seconds,
    headers: { ...credentials, 'content-type': 'application/json' },
    body: s.body,
  });
  const cpu = process.cpuUsage(cpu0);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    clientCpuPct: ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100,
  };
}

/** A latency of wrk's report (`812.00us`, `12.31ms`, `1.02s`) in ms. */
function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (!m) throw new Error(`unexpected wrk latency ${text}`);
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2] as 'us' | 'ms' | 's'];
}

/**
 * wrk (C, one thread, epoll): a load generator that costs a fraction of what it measures, so on a
 * small machine the API process and the database get the cores rather than the client.
 */
async function wrk(url: string, s: Scenario, credentials: Record<string, string>, connections: number, seconds: number): Promise<Hammered> {
  const script = path.join(os.tmpdir(), `api-bench-${process.pid}.lua`);
  const headers = { ...credentials, 'content-type': 'application/json' };
  fs.writeFileSync(
    script,
    [
      `wrk.method = ${JSON.stringify(s.method)}`,
      ...Object.entries(headers).map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`),
      s.body === undefined ? '' : `wrk.body = ${JSON.stringify(s.body)}`,
    ].join('\n'),
  );
  const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, url + s.path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  let cpuMs = 0;
  const sample = setInterval(() => (cpuMs = procCpuMs(child.pid!) || cpuMs), 200);
  const t0 = performance.now();
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sample);
  fs.rmSync(script, { force: true });
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${out}`);
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: wrkMs(/^\s+50%\s+(\S+)$/m.exec(out)?.[1] ?? ''),
    p99: wrkMs(/^\s+99%\s+(\S+)$/m.exec(out)?.[1] ?? ''),
    errors: errs ? errs.slice(1).reduce((n, x) => n + Number(x), 0) : 0,
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    clientCpuPct: (cpuMs / (performance.now() - t0)) * 100,
  };
}

type Client = 'autocannon' | 'wrk';

interface BenchOptions {
  connections: number;
  seconds: number;
  cpuProfDir?: string;
  /** Credentials of the measured requests: a login token or an API key (scopes read, write). */
  auth: 'jwt' | 'api-key';
  /** CPU per request of the ideal synchronous server (`node:http + N µs CPU`). */
  busyUs: number;
  /** Measured runs per scenario; the median one is reported. */
  repeat: number;
  /** Only scenarios whose name contains this. */
  only?: string;
  /** The load generator. */
  client: Client;
}

async function benchDb(db: string, env: Record<string, string>, opts: BenchOptions): Promise<Row[]> {
  const { child, url, bareUrl, busyUrl, expressUrl } = await startApi({ ...env, BENCH_BUSY_US: String(opts.busyUs) }, opts.cpuProfDir);
  const rows: Row[] = [];
  try {
    const username = `bench${Date.now()}`;
    const password = 'correct horse battery staple';
    await call(url, 'POST', '/api/v1/auth/register', { username, email: `${username}@example.test`, password });
    const { access_token: jwt } = await call(url, 'POST', '/api/v1/auth/login', { username, password });
    let flowId = '';
    for (let i = 0; i < 100; i++) flowId = (await call(url, 'POST', '/api/v1/workflows', { ...FLOW, name: `bench ${i}` }, jwt)).id;
    const credentials: Record<string, string> =
      opts.auth === 'jwt'
        ? { authorization: `Bearer ${jwt}` }
        : { 'x-api-key': (await call(url, 'POST', '/api/v1/auth/api-keys', { name: 'bench', scopes: ['read', 'write'] }, jwt)).key as string };

    const scenarios: (Scenario & { base?: string })[] = [
      { name: 'bare node:http (floor)', method: 'GET', path: '', base: bareUrl },
      { name: `node:http + ${opts.busyUs} µs CPU (ideal)`, method: 'GET', path: '', base: busyUrl },
      { name: 'Express, one route (floor)', method: 'GET', path: `/api/v1/workflows/${flowId}`, base: expressUrl },
      { name: 'GET /api/v1/workflows/{id}', method: 'GET', path: `/api/v1/workflows/${flowId}` },
      { name: 'GET /api/v1/workflows', method: 'GET', path: '/api/v1/workflows' },
      { name: 'POST /api/v1/workflows', method: 'POST', path: '/api/v1/workflows', body: JSON.stringify(FLOW) },
    ];
    for (const s of scenarios.filter((x) => !opts.only || x.name.includes(opts.only))) {
      await hammer(opts.client, s.base ?? url, s, credentials, opts.connections, 2);
      const runs: Row[] = [];
      for (let i = 0; i < opts.repeat; i++) {
        const cpu0 = procCpuMs(child.pid!);
        const db0 = db === 'postgres' ? postgresCpuMs() : 0;
        const steal0 = stealMs();
        const t0 = Date.now();
        const r = await hammer(opts.client, s.base ?? url, s, credentials, opts.connections, opts.seconds);
        const cpuPct = ((procCpuMs(child.pid!) - cpu0) / (Date.now() - t0)) * 100;
        const dbCpuPct = db === 'postgres' ? ((postgresCpuMs() - db0) / (Date.now() - t0)) * 100 : null;
        const stealPct = ((stealMs() - steal0) / (Date.now() - t0) / os.cpus().length) * 100;
        const run: Row = {
          db,
          scenario: s.name,
          rps: r.rps,
          p50: r.p50,
          p99: r.p99,
          errors: r.errors,
          non2xx: r.non2xx,
          cpuPct,
          clientCpuPct: r.clientCpuPct,
          stealPct,
          dbCpuPct,
          rpsRange: '',
          p99Range: '',
        };
        runs.push(run);
        console.error(
          `${db.padEnd(8)} ${s.name.padEnd(30)} ${run.rps.toFixed(0).padStart(6)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms  ` +
            `errors ${run.errors}  non-2xx ${run.non2xx}  API CPU ${cpuPct.toFixed(0)}%  ${opts.client} CPU ${run.clientCpuPct.toFixed(0)}%  steal ${run.stealPct.toFixed(0)}%${dbCpuPct === null ? '' : `  Postgres CPU ${dbCpuPct.toFixed(0)}%`}  load ${load()}`,
        );
      }
      // The machine's speed drifts between runs: report the median run and the range.
      const sorted = [...runs].sort((a, b) => a.rps - b.rps);
      const p99s = runs.map((x) => x.p99).sort((a, b) => a - b);
      rows.push({
        ...sorted[Math.floor((sorted.length - 1) / 2)],
        rpsRange: `${sorted[0].rps.toFixed(0)}–${sorted[sorted.length - 1].rps.toFixed(0)}`,
        p99Range: `${p99s[0]}–${p99s[p99s.length - 1]}`,
        errors: runs.reduce((n, x) => n + x.errors, 0),
        non2xx: runs.reduce((n, x) => n + x.non2xx, 0),
      });
    }
  } finally {
    await stopApi(child);
  }
  return rows;
}

function defaultPgUrl(): string | undefined {
  try {
    return execFileSync('bash', ['.ci/postgres.sh'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop();
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      db: { type: 'string', default: 'sqlite,postgres' },
      'pg-url': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'cpu-prof': { type: 'string' },
      auth: { type: 'string', default: 'jwt' },
      only: { type: 'string' },
      repeat: { type: 'string', default: '3' },
      'busy-us': { type: 'string', default: '250' },
      client: { type: 'string', default: 'autocannon' },
    },
  });
  if (values.client !== 'autocannon' && values.client !== 'wrk') throw new Error('--client must be autocannon or wrk');
  if (values.auth !== 'jwt' && values.auth !== 'api-key') throw new Error('--auth must be jwt or api-key');
  const opts: BenchOptions = {
    seconds: Number(values.seconds),
    connections: Number(values.connections),
    cpuProfDir: values['cpu-prof'],
    auth: values.auth,
    only: values.only,
    repeat: Math.max(1, Number(values.repeat)),
    busyUs: Number(values['busy-us']),
    client: values.client,
  };
  const dbs = values.db.split(',');
  const loadBefore = load();

  const server = await startDevServer({
    cliPath: await findTemporalCli({ temporal: {} }),
    port: await getFreePort(),
    headless: true,
    namespace: 'default',
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-api-bench-'));
  const base = {
    NODE_ENV: 'production',
    PORT: '0',
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: `api-bench-${Date.now()}`,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    RATE_LIMIT_PER_MINUTE: '100000000',
    LOGIN_RATE_LIMIT_PER_MINUTE: '1000000',
    RUN_WORKER: 'false',
    LOG_LEVEL: values['log-level'],
  };
  const rows: Row[] = [];
  try {
    if (dbs.includes('sqlite')) {
      rows.push(...(await benchDb('sqlite', { ...base, DATABASE_URL: `sqlite:${path.join(dataDir, 'flows.sqlite')}` }, opts)));
    }
    if (dbs.includes('postgres')) {
      const pgUrl = values['pg-url'] ?? defaultPgUrl();
      if (!pgUrl) throw new Error('no Postgres: pass --pg-url or make .ci/postgres.sh work');
      const name = `flows_bench_${randomBytes(4).toString('hex')}`;
      const admin = knex({ client: 'pg', connection: pgUrl, pool: { min: 0, max: 1 } });
      await admin.raw('create database ??', [name]);
      const url = new URL(pgUrl);
      url.pathname = `/${name}`;
      try {
        rows.push(...(await benchDb('postgres', { ...base, DATABASE_URL: url.toString() }, opts)));
      } finally {
        await admin.raw('drop database if exists ?? with (force)', [name]).catch(() => undefined);
        await admin.destroy();
      }
    }
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  console.log(`\n${opts.connections} connections, ${opts.repeat} × ${opts.seconds} s per scenario (the median run; ranges over all runs), LOG_LEVEL=${values['log-level']}, auth ${opts.auth}, client ${opts.client}; ` +
    `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}; load average before ${loadBefore}, after ${load()}\n`);
  console.log('| database | request | req/s | p50 ms | p99 ms | req/s range | p99 range | errors / non-2xx | API process CPU | Postgres CPU | client CPU | steal |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.db} | \`${r.scenario}\` | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.rpsRange} | ${r.p99Range} | ${r.errors} / ${r.non2xx} | ${r.cpuPct.toFixed(0)}% | ${r.dbCpuPct === null ? '—' : `${r.dbCpuPct.toFixed(0)}%`} | ${r.clientCpuPct.toFixed(0)}% | ${r.stealPct.toFixed(0)}% |`,
    );
  }
}

if (process.argv.includes('--serve')) {
  serveApi().catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
