/**
 * Where a run's time goes, phase by phase, for the platform (`./dev up` as the README starts it,
 * through the public API) and for Temporal's floor (bench/temporal-floor.ts: a hand-written
 * one-step workflow, client and worker in one process, on a dev server with the platform's settings).
 *
 *   npx tsx bench/run-phases.ts [--runs 40] [--watchdog shared|per-entry]
 *
 * Each run is a 3-node flow (start → noop → end) or `oneStepRun`, one after the other. The phases
 * come from the caller's clock and the run's history (the dev server's clock; same host):
 * 1. caller → start: from the call to the workflow's first event (HTTP, auth, the flow, the index
 *    row and the start request for the platform; the start request for the floor);
 * 2. workflow task: its `STARTED` → `COMPLETED` events (the server answering the eager start, the
 *    worker running the task, its local activity, and the completion reaching the server);
 * 3. close → answer: from the run's last event to the caller having the answer (the server
 *    noticing the result waiter; for the platform also the index read and the HTTP answer).
 * `--watchdog` applies to the floor's worker (the platform's comes from `SANDBOX_WATCHDOG`).
 * Results: docs/benchmarks.md, "Where a run's time goes".
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { SA } from '../src/shared/search-attributes';
import { workflowIdFor } from '../src/shared/flow';
import { findTemporalCli } from '../src/temporal/cli';
import { getFreePort, startDevServer } from '../src/temporal/dev-server';
import { codeVersion, loadAverage, threeNodeFlow, useSandboxWatchdog } from './measure';

const EventType = temporal.api.enums.v1.EventType;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One run: its workflow id, when the caller began (epoch ms) and how long it waited. */
interface Call {
  workflowId: string;
  at: number;
  wallMs: number;
}

type Phases = [wall: number, toStart: number, task: number, closeToAnswer: number];

async function phasesOf(client: Client, call: Call): Promise<Phases> {
  const events = (await client.workflow.getHandle(call.workflowId).fetchHistory()).events ?? [];
  const time = (i: number) => tsToMs(events[i].eventTime);
  const started = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  const completed = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  const last = events.length - 1;
  return [call.wallMs, time(0) - call.at, time(completed) - time(started), call.at + call.wallMs - time(last)];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function platformCalls(runs: number): Promise<{ calls: Call[]; client: Client; stop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-phases-'));
  const port = await getFreePort();
  const devPort = await getFreePort();
  const platform = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), 'src/main.ts'], {
    env: {
      ...process.env,
      DATA_DIR: dir,
      PORT: String(port),
      TEMPORAL_DEV_PORT: String(devPort),
      TEMPORAL_UI_PORT: String(await getFreePort()),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '1000000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    platform.kill('SIGTERM');
    await new Promise((r) => platform.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const base = `http://127.0.0.1:${port}/api/v1`;
    let token = '';
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(base + p, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
    };
    for (let i = 0; !(await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok; i++) {
      if (i > 900) throw new Error('the platform did not come up');
      await sleep(200);
    }
    await call('POST', '/auth/register', { username: 'bench', email: 'bench@example.test', password: 'correct horse battery staple' });
    token = (await call('POST', '/auth/login', { username: 'bench', password: 'correct horse battery staple' })).body.access_token;
    const flow = (await call('POST', '/workflows', threeNodeFlow('3 nodes'))).body.id as string;
    const calls: Call[] = [];
    for (let i = 0; i < runs + 5; i++) {
      const at = Date.now();
      const t0 = performance.now();
      const r = await call('POST', `/workflows/${flow}/execute`, { input_data: { n: i }, wait: true });
      const wallMs = performance.now() - t0;
      if (r.status !== 200 || r.body.output_data?.n !== i) throw new Error(`execute: ${r.status} ${JSON.stringify(r.body)}`);
      if (i >= 5) calls.push({ workflowId: workflowIdFor(r.body.id), at, wallMs });
    }
    const client = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${devPort}` }) });
    return { calls, client, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function floorPhases(runs: number): Promise<Phases[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-phases-floor-'));
  const server = await startDevServer({
    cliPath: await findTemporalCli({ temporal: {} }),
    port: await getFreePort(),
    headless: true,
    namespace: 'default',
    dbFile: path.join(dir, 'temporal.db'),
  });
  const connection = await NativeConnection.connect({ address: server.address });
  try {
    const client = new Client({ connection, namespace: 'default' });
    const taskQueue = `phases-${Date.now()}`;
    const worker = await Worker.create({
      connection,
      namespace: 'default',
      taskQueue,
      workflowsPath: require.resolve('./workflows/floor'),
      activities: { step: async (value: unknown) => value },
    });
    const calls: Call[] = [];
    await worker.runUntil(async () => {
      for (let i = 0; i < runs + 20; i++) {
        const at = Date.now();
        const t0 = performance.now();
        const workflowId = `phases-${i}-${at}`;
        const handle = await client.workflow.start('oneStepRun', {
          taskQueue,
          workflowId,
          args: [{ n: i }],
          requestEagerStart: true,
          typedSearchAttributes: [
            { key: SA.FlowId, value: 'floor' },
            { key: SA.FlowVersion, value: 1 },
            { key: SA.OwnerId, value: 'bench' },
            { key: SA.TriggerType, value: 'manual' },
          ],
        });
        await handle.result();
        if (i >= 20) calls.push({ workflowId, at, wallMs: performance.now() - t0 });
      }
    });
    return await Promise.all(calls.map((c) => phasesOf(client, c)));
  } finally {
    await connection.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '40' }, watchdog: { type: 'string', default: 'per-entry' } },
  });
  const runs = Number(values.runs);
  const watchdog = useSandboxWatchdog(values.watchdog);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const load = loadAverage();
  const platform = await platformCalls(runs);
  let ours: Phases[];
  try {
    ours = await Promise.all(platform.calls.map((c) => phasesOf(platform.client, c)));
  } finally {
    await platform.client.connection.close();
    await platform.stop();
  }
  const floor = await floorPhases(runs);
  const row = (name: string, p: Phases[]) =>
    `| ${name} | ${p.length} | ${[0, 1, 2, 3].map((k) => median(p.map((x) => x[k])).toFixed(1)).join(' | ')} |`;
  console.log(`code ${codeVersion()}, ${os.cpus().length} CPUs, load ${load} → ${loadAverage()}; floor's sandbox watchdog ${watchdog}, the platform's ${process.env.SANDBOX_WATCHDOG ?? 'shared'}\n`);
  console.log('| medians, ms | runs | wall | caller → start | workflow task | close → answer |');
  console.log('|---|---|---|---|---|---|');
  console.log(row('platform: 3-node flow, `execute {wait:true}`', ours));
  console.log(row("Temporal's floor: `oneStepRun`, start + `result()`", floor));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
