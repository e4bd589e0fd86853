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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { workflowIdFor } from '../src/shared/flow';
import { findTemporalCli } from '../src/temporal/cli';
import { getFreePort, startDevServer } from '../src/temporal/dev-server';
import { createFloorWorker, startFloorRun } from './floor-runs';
import { apiClient, codeVersion, loadAverage, startDevUp, threeNodeFlow, useSandboxWatchdog } from './measure';

const EventType = temporal.api.enums.v1.EventType;

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
  const platform = await startDevUp();
  try {
    const api = apiClient(platform.api);
    await api.signUp();
    const flow = (await api.call('POST', '/workflows', threeNodeFlow('3 nodes'))).body.id as string;
    const calls: Call[] = [];
    for (let i = 0; i < runs + 5; i++) {
      const at = Date.now();
      const t0 = performance.now();
      const r = await api.call('POST', `/workflows/${flow}/execute`, { input_data: { n: i }, wait: true });
      const wallMs = performance.now() - t0;
      if (r.status !== 200 || r.body.output_data?.n !== i) throw new Error(`execute: ${r.status} ${JSON.stringify(r.body)}`);
      if (i >= 5) calls.push({ workflowId: workflowIdFor(r.body.id), at, wallMs });
    }
    const client = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${platform.temporalPort}` }) });
    return { calls, client, stop: platform.stop };
  } catch (err) {
    await platform.stop();
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
    const worker = await createFloorWorker(connection, taskQueue);
    const calls: Call[] = [];
    await worker.runUntil(async () => {
      for (let i = 0; i < runs + 20; i++) {
        const at = Date.now();
        const t0 = performance.now();
        const workflowId = `phases-${i}-${at}`;
        const handle = await startFloorRun(client, taskQueue, 'oneStepRun', workflowId, i);
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
