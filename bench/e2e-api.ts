/**
 * End-to-end benchmark through the HTTP API: the whole platform (API + worker + SQLite) in this
 * process against a tuned, in-memory dev server, running a 3-node flow `start → noop → end`.
 *
 *   npx tsx bench/e2e-api.ts [--sequential 50] [--warmup 5] [--clients 16] [--seconds 20]
 *
 * (a) Sequential: `POST /api/v1/workflows/{id}/execute {"wait": true}` one after another; the
 *     time until the response says `completed`.
 * (b) Sustained: `clients` concurrent loops fire `execute` (async, 201) for `seconds`; then the
 *     bench waits until every accepted run is completed. Completion times are the runs' own
 *     `finished_at` (Temporal's close time), read back through the API once the index has caught up.
 * Results: docs/benchmarks.md, "End-to-end".
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startPlatform } from '../src/platform';
import { findTemporalCli } from '../src/temporal/cli';
import { getFreePort, startDevServer } from '../src/temporal/dev-server';
import { apiClient, codeVersion, formatStats, loadAverage, procCpuMs, stats, type Api } from './measure';

/** Starts measuring; the returned function gives the CPU ms used since by this process (API + worker) and by the dev server. */
function cpuMeter(serverPid: number) {
  const own0 = process.cpuUsage();
  const server0 = procCpuMs(serverPid);
  return () => {
    const own = process.cpuUsage(own0);
    return { own: (own.user + own.system) / 1000, server: procCpuMs(serverPid) - server0 };
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The benchmark flow: the noop echoes `input.n`, the end node renders it into the run's output. */
const FLOW = {
  name: 'bench e2e',
  status: 'published',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'work', type: 'noop', data: { value: '{{ input.n }}' } },
    { id: 'end', type: 'end', data: { output: { n: '{{ work.result }}', done: true } } },
  ],
  edges: [
    { source: 'start', target: 'work' },
    { source: 'work', target: 'end' },
  ],
};

function expectStatus(what: string, res: { status: number; body: unknown }, status: number): any {
  if (res.status !== status)
    throw new Error(
      `${what}: expected ${status}, got ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`,
    );
  return res.body;
}

/** Every run of a flow, through the API (paged by 100). */
async function listRuns(api: Api, flowId: string): Promise<any[]> {
  const all: any[] = [];
  for (let skip = 0; ; skip += 100) {
    const page = expectStatus(
      'list runs',
      await api.call('GET', `/api/v1/workflows/${flowId}/executions?limit=100&skip=${skip}`),
      200,
    );
    all.push(...page.items);
    if (all.length >= page.total || page.items.length === 0) return all;
  }
}

/** Total of `GET /api/v1/executions?status=…` (listing also reconciles the listed rows with Temporal). */
async function countRuns(api: Api, status: string, limit = 1): Promise<number> {
  return expectStatus(
    'count runs',
    await api.call('GET', `/api/v1/executions?status=${status}&limit=${limit}`),
    200,
  ).total;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sequential: { type: 'string', default: '50' },
      warmup: { type: 'string', default: '5' },
      clients: { type: 'string', default: '16' },
      seconds: { type: 'string', default: '20' },
    },
  });
  const sequential = Number(values.sequential);
  const warmup = Number(values.warmup);
  const clients = Number(values.clients);
  const seconds = Number(values.seconds);

  const cliPath = await findTemporalCli({ temporal: {} });
  const server = await startDevServer({
    cliPath,
    port: await getFreePort(),
    headless: true,
    namespace: 'default',
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flows-e2e-bench-'));
  const config = loadConfig({
    NODE_ENV: 'development',
    PORT: '0',
    DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${path.join(dataDir, 'flows.sqlite')}`,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: `e2e-bench-${Date.now()}`,
    JWT_SECRET: randomBytes(32).toString('hex'),
    RATE_LIMIT_PER_MINUTE: '1000000',
    LOGIN_RATE_LIMIT_PER_MINUTE: '1000000',
    LOG_LEVEL: 'silent',
  });
  const platform = await startPlatform(config, createLogger(config.logLevel));
  const out = (line = '') => console.log(line);
  try {
    const api = apiClient(platform.apiUrl as string);
    const username = `bench${Date.now()}`;
    const password = 'correct horse battery staple';
    expectStatus(
      'register',
      await api.call('POST', '/api/v1/auth/register', {
        username,
        email: `${username}@example.test`,
        password,
      }),
      201,
    );
    api.setToken(
      expectStatus('login', await api.call('POST', '/api/v1/auth/login', { username, password }), 200)
        .access_token,
    );
    const createFlow = async () =>
      expectStatus('create flow', await api.call('POST', '/api/v1/workflows', FLOW), 201).id as string;

    // (a) sequential, wait: true
    const seqFlow = await createFlow();
    const seqMs: number[] = [];
    const engineMs: number[] = [];
    const loadA0 = loadAverage();
    let cpuA = cpuMeter(server.pid);
    for (let i = 0; i < warmup + sequential; i++) {
      const t0 = performance.now();
      const res = await api.call('POST', `/api/v1/workflows/${seqFlow}/execute`, {
        wait: true,
        input_data: { n: i },
      });
      const ms = performance.now() - t0;
      const run = expectStatus('execute (wait)', res, 200);
      if (run.status !== 'completed' || run.output_data?.n !== i)
        throw new Error(`run not completed as expected: ${JSON.stringify(run)}`);
      if (i < warmup) {
        if (i === warmup - 1) cpuA = cpuMeter(server.pid);
        continue;
      }
      seqMs.push(ms);
      engineMs.push(run.execution_time_ms);
    }
    const cpuSeq = cpuA();
    const loadA1 = loadAverage();
    console.error(`sequential done (load ${loadA0} → ${loadA1})`);

    // (b) sustained: `clients` loops fire async executes for `seconds`
    const tpFlow = await createFlow();
    const acceptMs: number[] = [];
    const failures = new Map<number, number>();
    let accepted = 0;
    const loadB0 = loadAverage();
    const cpuB = cpuMeter(server.pid);
    const start = Date.now();
    const stopAt = start + seconds * 1000;
    let seq = 0;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (Date.now() < stopAt) {
          const t0 = performance.now();
          const res = await api.call('POST', `/api/v1/workflows/${tpFlow}/execute`, {
            input_data: { n: seq++ },
          });
          if (res.status === 201) {
            accepted++;
            acceptMs.push(performance.now() - t0);
          } else {
            failures.set(res.status, (failures.get(res.status) ?? 0) + 1);
          }
        }
      }),
    );
    const firedMs = Date.now() - start;
    const cpuFiring = cpuB();
    const loadB1 = loadAverage();
    // Wait for the index: the platform's own reconciler (every 5 s, oldest 100 unfinished rows) marks
    // the rows completed. Polled with limit=1 so the polling itself reconciles almost nothing.
    let completed = 0;
    let lastProgress = Date.now();
    for (;;) {
      const unfinished = (await countRuns(api, 'running')) + (await countRuns(api, 'pending'));
      const done = await countRuns(api, 'completed');
      if (done !== completed) lastProgress = Date.now();
      completed = done;
      if (unfinished === 0) break;
      if (Date.now() - lastProgress > 120_000)
        throw new Error(`no progress for 120 s: ${completed} completed, ${unfinished} unfinished`);
      await sleep(500);
    }
    const drainedMs = Date.now() - start;
    const cpuTp = cpuB();
    const runs = await listRuns(api, tpFlow);
    const finished = runs.filter((r) => r.status === 'completed');
    const created = runs.map((r) => Date.parse(r.created_at));
    const closes = finished.map((r) => Date.parse(r.finished_at));
    const firstCreated = Math.min(...created);
    const lastClose = Math.max(...closes);
    const inWindow = closes.filter((t) => t <= stopAt).length;
    const runLatency = finished.map((r) => Date.parse(r.finished_at) - Date.parse(r.created_at));
    const loadB2 = loadAverage();

    out(
      `## end-to-end — ${new Date().toISOString()}, ${os.cpus().length} CPUs, code ${codeVersion()}, SQLite, in-process API + worker\n`,
    );
    out('| measurement | value |');
    out('|---|---|');
    out(
      `| (a) sequential \`execute {"wait": true}\`, ${sequential} runs after ${warmup} warm-up: ms mean / p50 / p95 | ${formatStats(stats(seqMs))} |`,
    );
    out(
      `| (a) of which inside Temporal (run's \`execution_time_ms\`): mean / p50 / p95 | ${formatStats(stats(engineMs))} |`,
    );
    out(
      `| (a) CPU ms per run: platform process (API + worker) / dev server | ${(cpuSeq.own / sequential).toFixed(1)} / ${(cpuSeq.server / sequential).toFixed(1)} |`,
    );
    out(`| (a) load average (1/5/15 min) before → after | ${loadA0} → ${loadA1} |`);
    out(
      `| (b) ${clients} clients × ${seconds} s: executes accepted (201) | ${accepted} (${((accepted * 1000) / firedMs).toFixed(1)}/s)${failures.size ? `; failed: ${JSON.stringify(Object.fromEntries(failures))}` : ''} |`,
    );
    out(`| (b) \`execute\` response time ms mean / p50 / p95 | ${formatStats(stats(acceptMs))} |`);
    out(`| (b) runs completed / accepted | ${finished.length} / ${runs.length} |`);
    out(
      `| (b) completed during the ${seconds} s firing window | ${inWindow} (**${((inWindow * 1000) / (stopAt - start)).toFixed(1)} runs/s**) |`,
    );
    out(
      `| (b) all completed after (first accept → last close) | ${((lastClose - firstCreated) / 1000).toFixed(1)} s (**${((finished.length * 1000) / (lastClose - firstCreated)).toFixed(1)} runs/s**) |`,
    );
    const drained = closes.filter((t) => t > stopAt).length;
    out(
      `| (b) completed after the firing stopped (backlog drain only) | ${drained} in ${((lastClose - stopAt) / 1000).toFixed(1)} s (**${drained > 0 ? ((drained * 1000) / (lastClose - stopAt)).toFixed(1) : 'n/a'} runs/s**) |`,
    );
    out(`| (b) accept → close per run ms mean / p50 / p95 | ${formatStats(stats(runLatency))} |`);
    out(
      `| (b) CPU ms per completed run: platform process / dev server (firing + drain, until the index caught up) | ${(cpuTp.own / finished.length).toFixed(1)} / ${(cpuTp.server / finished.length).toFixed(1)} |`,
    );
    const cores = (cpu: { own: number; server: number }, ms: number) =>
      `${(cpu.own / ms).toFixed(2)} + ${(cpu.server / ms).toFixed(2)}`;
    out(
      `| (b) CPU cores used, platform process + dev server: while firing / after | ${cores(cpuFiring, firedMs)} / ` +
        `${cores({ own: cpuTp.own - cpuFiring.own, server: cpuTp.server - cpuFiring.server }, drainedMs - firedMs)} |`,
    );
    out(`| (b) index caught up (all rows terminal) after | ${(drainedMs / 1000).toFixed(1)} s |`);
    out(`| (b) load average before → end of firing → end | ${loadB0} → ${loadB1} → ${loadB2} |`);
  } finally {
    await platform.stop();
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// Exits when done: the Temporal runtime's native threads would keep the process alive.
main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
