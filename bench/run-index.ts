/**
 * How soon the run index and the live events know what the runs did, with the API and two workers
 * in separate processes (as deployed), on a file-backed dev server (as `./dev up` runs it).
 *
 *   npx tsx bench/run-index.ts [--runs 300] [--clients 16] [--watched 20] [--database postgres://…]
 *
 * 1. A burst of `runs` executes (a 4-node flow with a short noop) from `clients` concurrent
 *    clients. For every run: **index lag** = when its index row said it had ended (the row's
 *    `updated_at`, written by the run's report) minus Temporal's close time (`describe()`); a
 *    negative lag means the index knew before Temporal recorded the close. While the burst runs,
 *    `GET /executions?status=running|completed` is read in a loop and every item whose status
 *    contradicts the filter is counted.
 * 2. **Live events**: the last `watched` runs are followed over SSE from before they start to their
 *    end; for every event, arrival time minus the transition's time (`timestamp`, workflow time),
 *    and whether each node's events arrived in causal order (started before completed, the
 *    terminal event last).
 * Results: docs/benchmarks.md, "Run index and live events".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Connection, Client } from '@temporalio/client';
import { workflowIdFor } from '../src/shared/flow';
import { createDb } from '../src/storage';
import { findTemporalCli } from '../src/temporal/cli';
import { getFreePort, startDevServer } from '../src/temporal/dev-server';
import { openStream } from '../test/helpers/sse';
import { apiClient, codeVersion, loadAverage, waitUntilUp } from './measure';

const FLOW = {
  name: 'bench index',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'work', type: 'noop', data: { value: '{{ input.n }}', delay_ms: 20 } },
    { id: 'double', type: 'transform', data: { expression: 'work.result * 2' } },
    { id: 'end', type: 'end', data: { output: '{{ double.result }}' } },
  ],
  edges: [
    { source: 'start', target: 'work' },
    { source: 'work', target: 'double' },
    { source: 'double', target: 'end' },
  ],
};

function percentiles(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return `p50 ${at(0.5).toFixed(0)} ms, p95 ${at(0.95).toFixed(0)} ms, p99 ${at(0.99).toFixed(0)} ms, max ${s[s.length - 1].toFixed(0)} ms (n=${s.length})`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '300' },
      clients: { type: 'string', default: '16' },
      watched: { type: 'string', default: '20' },
      database: { type: 'string' },
    },
  });
  const runs = Number(values.runs);
  const clients = Number(values.clients);
  const watched = Number(values.watched);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-index-'));
  const cliPath = await findTemporalCli({ temporal: {} });
  const server = await startDevServer({ cliPath, port: await getFreePort(), headless: true, namespace: 'default', dbFile: path.join(dir, 'temporal.sqlite') });
  const port = await getFreePort();
  const env = {
    ...process.env,
    DATA_DIR: dir,
    PORT: String(port),
    TEMPORAL_ADDRESS: server.address,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '1000000',
    LIVE_CONNECTIONS_PER_USER: '1000',
    ...(values.database ? { DATABASE_URL: values.database } : {}),
  };
  const procs: ChildProcess[] = [];
  const start = (extra: Record<string, string>) => {
    const p = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), 'src/main.ts'], { env: { ...env, ...extra }, stdio: ['ignore', 'ignore', 'inherit'] });
    procs.push(p);
  };
  start({ RUN_WORKER: 'false' });
  start({ RUN_API: 'false', PORT: '0' });
  start({ RUN_API: 'false', PORT: '0' });
  const base = `http://127.0.0.1:${port}/api/v1`;
  const { call, signUp, authorization } = apiClient(base);
  try {
    await waitUntilUp(`http://127.0.0.1:${port}/health`, 'the API');
    await sleep(8_000); // the workers bundle the interpreter before they poll
    await signUp();
    const flowId = (await call('POST', '/workflows', FLOW)).body.id as string;
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: 'default' });

    // Live events: open the watchers on the first `watched` runs as soon as they are accepted.
    const latencies: number[] = [];
    const received: { id: string; type: string; node?: string; at: number }[] = [];
    let outOfOrder = 0;
    const streams: Promise<void>[] = [];
    const watch = (id: string) => {
      streams.push(
        (async () => {
          const opened = Date.now();
          const s = await openStream(`${base}/executions/${id}/events/stream`, authorization());
          await s.done;
          const arrivals = s.events.map((e) => ({ at: e.receivedAt, type: e.event, node: e.data.data?.node_id as string | undefined, ts: Date.parse(e.data.timestamp) }));
          // Transitions from before the stream opened come as a catch-up; they say nothing about latency.
          for (const a of arrivals) {
            if (!(a.type.startsWith('node_') || a.type.startsWith('execution_')) || a.ts < opened) continue;
            latencies.push(a.at - a.ts);
            received.push({ id, type: a.type, node: a.node, at: a.at });
          }
          const order = arrivals.map((a) => `${a.type}:${a.node ?? ''}`);
          for (const node of ['work', 'double', 'end']) {
            const started = order.indexOf(`node_started:${node}`);
            const completed = order.indexOf(`node_completed:${node}`);
            // A node that started before the stream opened is in its state_sync instead.
            if (completed < 0 || (started >= 0 && started > completed)) outOfOrder++;
          }
          if (!order.at(-1)?.startsWith('execution_')) outOfOrder++;
        })(),
      );
    };

    // The burst, with a reader checking the filters meanwhile.
    const ids: string[] = [];
    let contradictions = 0;
    let reads = 0;
    let firing = true;
    const reader = (async () => {
      while (firing) {
        for (const status of ['running', 'completed']) {
          const page = await call('GET', `/executions?workflow_id=${flowId}&status=${status}&limit=100`);
          reads++;
          contradictions += page.body.items.filter((i: { status: string }) => i.status !== status).length;
        }
        await sleep(50);
      }
    })();
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (next < runs) {
          const n = next++;
          const r = await call('POST', `/workflows/${flowId}/execute`, { input_data: { n } });
          if (r.status !== 201) throw new Error(`execute: ${r.status} ${JSON.stringify(r.body)}`);
          ids.push(r.body.id);
          if (n >= runs - watched) watch(r.body.id);
        }
      }),
    );
    const acceptedMs = Date.now() - t0;
    // Every run closes, then its lag is measured against its row.
    const lags: number[] = [];
    const pendingIds = new Set(ids);
    while (pendingIds.size) {
      for (const id of [...pendingIds]) {
        const d = await client.workflow.getHandle(workflowIdFor(id)).describe();
        if (!d.closeTime) continue;
        const row = await call('GET', `/executions?workflow_id=${flowId}&search=${id}&limit=1`);
        const item = row.body.items[0];
        if (!item || item.status !== 'completed') continue;
        pendingIds.delete(id);
      }
      await sleep(100);
    }
    firing = false;
    await reader;
    await Promise.all(streams);
    const drainedMs = Date.now() - t0;
    // The rows' updated_at is when the run's end reached the index; compare with Temporal's close.
    const db = createDb(values.database ? { client: 'pg', url: values.database } : { client: 'sqlite', filename: path.join(dir, 'flows.sqlite') });
    for (const id of ids) {
      const row = (await db('executions').where({ id }).first('updated_at')) as { updated_at: string };
      const d = await client.workflow.getHandle(workflowIdFor(id)).describe();
      lags.push(Date.parse(row.updated_at) - d.closeTime!.getTime());
    }
    // Where live event time goes: the run's report reaching the log, then the log reaching the client.
    const reportLag: number[] = [];
    const deliveryLag: number[] = [];
    for (const r of received) {
      const row = (await db('execution_events')
        .where({ execution_id: r.id, type: r.type })
        .andWhereRaw("coalesce(node_id, '') = ?", [r.node ?? ''])
        .first('at', 'created_at')) as { at: string; created_at: string } | undefined;
      if (!row) continue;
      reportLag.push(Date.parse(row.created_at) - Date.parse(row.at));
      deliveryLag.push(r.at - Date.parse(row.created_at));
    }
    await db.destroy();
    await connection.close();

    console.log(`code ${codeVersion()}, load ${loadAverage()}, ${os.cpus().length} CPUs, ${values.database ? 'Postgres' : 'SQLite'}`);
    console.log(`${runs} runs from ${clients} clients: accepted in ${acceptedMs} ms, all closed and indexed after ${drainedMs} ms`);
    console.log(`index lag after close (row updated_at − Temporal close time): ${percentiles(lags)}`);
    console.log(`  runs indexed before Temporal recorded the close: ${lags.filter((l) => l <= 0).length} of ${lags.length}`);
    console.log(`status filters: ${reads} list reads during the burst, ${contradictions} items contradicting their filter`);
    console.log(`live events over SSE (${watched} runs): arrival − transition time ${percentiles(latencies)}; out of order: ${outOfOrder}`);
    console.log(`  of which transition → stored by the worker: ${percentiles(reportLag)}`);
    console.log(`  and stored → received by the client: ${percentiles(deliveryLag)}`);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await sleep(1_500);
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
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
