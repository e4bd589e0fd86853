/**
 * Temporal's own floor on this machine: the least a run costs when nothing but Temporal is involved,
 * on the same dev server `./dev up` starts (file-backed SQLite, the platform's dynamic config and
 * pragmas). The platform's targets (bench/user-e2e.ts) are measured against this.
 *
 *   npx tsx bench/temporal-floor.ts [--sequential 200] [--clients 16] [--seconds 15] [--memory] [--watchdog per-entry|shared]
 *
 * One process holds the client and a worker (the best case: no HTTP, no index, no second process);
 * runs start eagerly on the worker's connection with the platform's search attributes, and the
 * client waits for each result as `execute {wait: true}` does. Two hand-written workflows
 * (bench/workflows/floor.ts): `emptyRun` (returns its input) and `oneStepRun` (start → one local
 * activity → end, the shape of the 3-node flow the platform's bench runs).
 *
 * 1. Sequential runs of each: p50 / p95 wall time, CPU per run of this process and of the dev server.
 * 2. What the dev server does per `oneStepRun`, from its Prometheus metrics: requests by operation
 *    and persistence operations.
 * 3. `clients` concurrent clients, each starting a `oneStepRun` and waiting for it, for `seconds`:
 *    completed runs per second and CPU per run.
 * Results: docs/benchmarks.md, "Temporal's floor".
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { findTemporalCli } from '../src/temporal/cli';
import { getFreePort, startDevServer } from '../src/temporal/dev-server';
import { createFloorWorker, startFloorRun } from './floor-runs';
import { codeVersion, loadAverage, procCpuMs, stats, useSandboxWatchdog } from './measure';

/** Counters of the dev server's metrics whose name is one of `names`, summed by name and operation. */
async function scrape(port: number, names: string[]): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || !names.includes(m[1])) continue;
    const operation = /operation="([^"]+)"/.exec(m[2])?.[1] ?? '?';
    const service = /service_name="([^"]+)"/.exec(m[2])?.[1];
    const key = `${m[1]} ${service ? `${service}:` : ''}${operation}`;
    sums.set(key, (sums.get(key) ?? 0) + Number(m[3]));
  }
  return sums;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sequential: { type: 'string', default: '200' },
      clients: { type: 'string', default: '16' },
      seconds: { type: 'string', default: '15' },
      memory: { type: 'boolean', default: false },
      watchdog: { type: 'string', default: 'per-entry' },
    },
  });
  const watchdog = useSandboxWatchdog(values.watchdog);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-floor-'));
  const metricsPort = await getFreePort();
  const server = await startDevServer({
    cliPath: await findTemporalCli({ temporal: {} }),
    port: await getFreePort(),
    headless: true,
    namespace: 'default',
    metricsPort,
    ...(values.memory ? {} : { dbFile: path.join(dir, 'temporal.db') }),
  });
  const connection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `floor-${Date.now()}`;
  const worker = await createFloorWorker(connection, taskQueue);
  const out: string[] = [];
  let seq = 0;
  const runOnce = async (workflow: 'emptyRun' | 'oneStepRun') => {
    const n = seq++;
    const handle = await startFloorRun(client, taskQueue, workflow, `floor-${n}-${Date.now()}`, n);
    await handle.result();
  };
  const cpu = () => {
    const own = process.cpuUsage();
    return { own: (own.user + own.system) / 1000, server: procCpuMs(server.pid) };
  };
  try {
    await worker.runUntil(async () => {
      // 1. sequential
      for (const workflow of ['emptyRun', 'oneStepRun'] as const) {
        const n = Number(values.sequential);
        for (let i = 0; i < 20; i++) await runOnce(workflow);
        const walls: number[] = [];
        const c0 = cpu();
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          await runOnce(workflow);
          walls.push(performance.now() - t0);
        }
        const c1 = cpu();
        const s = stats(walls);
        out.push(
          `${workflow}, one after the other (${n} runs): p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms; ` +
            `CPU per run ${((c1.own - c0.own + c1.server - c0.server) / n).toFixed(1)} ms ` +
            `(client + worker ${((c1.own - c0.own) / n).toFixed(1)}, dev server ${((c1.server - c0.server) / n).toFixed(1)})`,
        );
      }

      // 2. what the dev server does per run
      const names = ['service_requests', 'persistence_requests'];
      const flushed = () => new Promise((r) => setTimeout(r, 2500)); // the server reports its metrics every second
      await flushed();
      const before = await scrape(metricsPort, names);
      const runs = 50;
      for (let i = 0; i < runs; i++) await runOnce('oneStepRun');
      await flushed();
      const after = await scrape(metricsPort, names);
      out.push(`dev server work per oneStepRun (${runs} runs, from its metrics; frontend and history each count a request they serve):`);
      for (const [key, v] of [...after].sort()) {
        const per = (v - (before.get(key) ?? 0)) / runs;
        if (per >= 0.05) out.push(`  ${per.toFixed(2).padStart(5)}  ${key}`);
      }

      // 3. concurrent clients
      const seconds = Number(values.seconds);
      const c0 = cpu();
      const t0 = Date.now();
      const stopAt = t0 + seconds * 1000;
      let completed = 0;
      await Promise.all(
        Array.from({ length: Number(values.clients) }, async () => {
          while (Date.now() < stopAt) {
            await runOnce('oneStepRun');
            completed++;
          }
        }),
      );
      const elapsed = (Date.now() - t0) / 1000;
      const c1 = cpu();
      out.push(
        `${values.clients} clients × ${seconds} s, oneStepRun: ${completed} completed (${(completed / elapsed).toFixed(1)} runs/s), ` +
          `CPU per run ${((c1.own - c0.own + c1.server - c0.server) / completed).toFixed(1)} ms`,
      );
    });
    console.log(
      `code ${codeVersion()}, ${os.cpus().length} CPUs, load ${loadAverage()}, ` +
        `${values.memory ? 'in-memory' : 'file-backed'} dev server with the platform's settings, client and worker in one process, sandbox watchdog ${watchdog}`,
    );
    for (const line of out) console.log(line);
  } finally {
    await connection.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
