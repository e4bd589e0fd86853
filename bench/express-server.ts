/**
 * What Express's per-request `Object.setPrototypeOf` costs, and what `createAppServer` saves.
 *
 *   npx tsx bench/express-server.ts [--seconds 8] [--connections 50] [--repeat 2]
 *
 * One Express 5 app (one router, one route answering a flow-sized JSON body) served three ways,
 * each in its own process with `--trace-gc`, under autocannon:
 *
 * - `http.createServer(app)` (what `app.listen` does): Node's request and response objects, whose
 *   prototypes Express then changes with `Object.setPrototypeOf`;
 * - `createAppServer(app)` (src/api/server.ts, the API's server): objects born with the app's
 *   prototypes, so Express's `setPrototypeOf` does nothing;
 * - `Reflect.construct` with the app's prototypes as `newTarget`: the obvious other way to build
 *   them, shown because it is as slow as the first.
 *
 * Reported per run: req/s, p99, and from the GC trace the scavenges, their mean pause, what each
 * one promoted to the old generation on average, and the mark-compacts. Results: docs/benchmarks.md,
 * "API throughput".
 */
import { fork } from 'node:child_process';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import type { Express } from 'express';
import { createAppServer } from '../src/api/server';
import { oneRouteApp } from './one-route-app';

const VARIANTS = ['http.createServer(app)', 'createAppServer(app)', 'Reflect.construct'] as const;
type Variant = (typeof VARIANTS)[number];

function reflectServer(app: Express): Server {
  function AppRequest(socket: Socket): IncomingMessage {
    return Reflect.construct(http.IncomingMessage, [socket], AppRequest) as IncomingMessage;
  }
  AppRequest.prototype = app.request;
  function AppResponse(req: IncomingMessage, options?: unknown): ServerResponse {
    return Reflect.construct(http.ServerResponse, [req, options], AppResponse) as ServerResponse;
  }
  AppResponse.prototype = app.response;
  return http.createServer(
    { IncomingMessage: AppRequest as unknown as typeof IncomingMessage, ServerResponse: AppResponse as unknown as typeof ServerResponse },
    app,
  );
}

/** Child: serves the app the way `variant` says, reports its URL over IPC, exits on "stop". */
async function serve(variant: Variant): Promise<void> {
  const flow = {
    id: '4f1c2b9e-8d7a-4c3b-9e2f-1a2b3c4d5e6f',
    name: 'bench flow',
    nodes: [
      { id: 'start', type: 'start', data: {}, position: { x: 0, y: 0 } },
      { id: 'work', type: 'noop', data: { value: '{{ input.n }}' }, position: { x: 200, y: 0 } },
      { id: 'end', type: 'end', data: { output: { n: '{{ work.result }}' } }, position: { x: 400, y: 0 } },
    ],
    edges: [
      { source: 'start', target: 'work' },
      { source: 'work', target: 'end' },
    ],
    settings: {},
    created_at: new Date().toISOString(),
  };
  const app = oneRouteApp(flow);
  const server = variant === 'createAppServer(app)' ? createAppServer(app) : variant === 'Reflect.construct' ? reflectServer(app) : http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send?.(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/workflows/${flow.id}`);
  process.on('message', (m) => {
    if (m === 'stop') process.exit(0);
  });
}

/** Scavenges, their mean pause, the mean old-generation growth per scavenge, mark-compacts. */
export function gcSummary(trace: string) {
  let scavenges = 0;
  let pauseMs = 0;
  let growth = 0;
  let grown = 0;
  let markCompacts = 0;
  let previousAfter: number | undefined;
  for (const line of trace.split('\n')) {
    const scavenge = /Scavenge [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, ([\d.]+)/.exec(line);
    if (scavenge) {
      const after = Number(scavenge[1]);
      scavenges++;
      pauseMs += Number(scavenge[2]);
      if (previousAfter !== undefined && after > previousAfter) {
        growth += after - previousAfter;
        grown++;
      }
      previousAfter = after;
      continue;
    }
    const mc = /Mark-Compact.* -> ([\d.]+) \(/.exec(line);
    if (mc) {
      markCompacts++;
      previousAfter = Number(mc[1]);
    }
  }
  return { scavenges, meanPauseMs: scavenges ? pauseMs / scavenges : 0, promotedMbPerScavenge: grown ? growth / grown : 0, markCompacts };
}

async function measure(variant: Variant, connections: number, seconds: number) {
  const child = fork(__filename, ['--serve', variant], { execArgv: [...process.execArgv, '--trace-gc'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  let trace = '';
  child.stdout!.on('data', (d: Buffer) => (trace += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve(String(m)));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  await autocannon({ url, connections, duration: 2 }); // warm-up
  const start = trace.length;
  const r = await autocannon({ url, connections, duration: seconds });
  const gc = gcSummary(trace.slice(start));
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.send('stop');
  });
  return { variant, rps: r.requests.average, p99: r.latency.p99, ...gc };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '8' },
      connections: { type: 'string', default: '50' },
      repeat: { type: 'string', default: '2' },
    },
  });
  const rows = [];
  for (let i = 0; i < Number(values.repeat); i++) {
    for (const variant of VARIANTS) {
      const row = await measure(variant, Number(values.connections), Number(values.seconds));
      console.error(`${variant.padEnd(24)} ${row.rps.toFixed(0).padStart(6)} req/s  p99 ${row.p99} ms  ${row.scavenges} scavenges of ${row.meanPauseMs.toFixed(2)} ms, ${row.promotedMbPerScavenge.toFixed(2)} MB promoted each, ${row.markCompacts} mark-compacts`);
      rows.push(row);
    }
  }
  console.log(`\n${values.connections} connections, ${values.seconds} s per run after a 2 s warm-up, Node ${process.version}\n`);
  console.log('| server | req/s | p99 ms | scavenges | mean scavenge ms | promoted MB per scavenge | mark-compacts |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| \`${r.variant}\` | ${r.rps.toFixed(0)} | ${r.p99} | ${r.scavenges} | ${r.meanPauseMs.toFixed(2)} | ${r.promotedMbPerScavenge.toFixed(2)} | ${r.markCompacts} |`);
  }
}

const serveAt = process.argv.indexOf('--serve');
if (serveAt >= 0) {
  serve(process.argv[serveAt + 1] as Variant).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
