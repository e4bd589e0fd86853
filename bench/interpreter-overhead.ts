/**
 * Interpreter overhead benchmark: how much slower is a chain of N `noop` nodes run by the generic
 * interpreter (`runFlow` over a compiled flow) than the same chain written by hand as a workflow
 * (`bench/workflows/hand-written-chain.ts`) that calls the same `noop` node activity with the
 * same activity options?
 *
 *   npx tsx bench/interpreter-overhead.ts [--sizes 3,40,1000] [--runs 3=20,40=20,1000=3] [--warmup 1]
 *
 * Both sides make the platform's execution choices: noops run as local activities when the
 * compiled flow says so (`exec.local`; the hand-written chain then uses `proxyLocalActivities` with
 * the same options), runs start eagerly on the worker's connection (`--no-eager`: through a
 * separate client), and the bundle preloads the interpreter's shared modules.
 *
 * `--watchdog shared|per-entry`: how the worker watches its workflow sandbox (default `shared`, as a
 * supervised worker of `./dev up` does; `per-entry` is the Temporal SDK's default).
 *
 * Diagnostics: `--dump` prints the event timeline of the last run of each; `--only runFlow|hand-written`
 * runs one side (e.g. under `tsx --cpu-prof`); `--debug-mode` runs workflows in this thread;
 * `--no-promise-hook` and `--count-promises` (both imply debug mode) replace the SDK's per-promise
 * stack-trace hook with nothing or with a counter of workflow-context promises.
 *
 * One in-memory, headless dev server (tuned `DEV_SERVER_DYNAMIC_CONFIG`) and one worker whose
 * bundle (`bench/workflows/overhead-bundle.ts`) holds both workflows and whose activities are the
 * platform's (`createActivities`). Per size: `warmup` discarded pairs, then runs alternate between
 * the two workflows (which one goes first alternates too). Afterwards every measured run's history
 * is read back (following continue-as-new) for the event counts and the time breakdown.
 * Results: docs/benchmarks.md, "Interpreter overhead".
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createActivities } from '../activities';
import { compileFlow } from '../src/nodes/compile-flow';
import { createNodeServices } from '../src/nodes/node-services';
import { RUN_FLOW, workflowIdFor, type RunFlowInput } from '../src/shared/flow';
import { searchAttributesFor } from '../src/shared/search-attributes';
import { findTemporalCli } from '../src/temporal/cli';
import { connectTemporal } from '../src/temporal/connection';
import { getFreePort, startDevServer } from '../src/temporal/dev-server';
import { NO_RUN_INDEX } from '../src/worker/create-worker';
import { interpreterBundleOptions } from '../src/worker/workflow-bundle';
import { activityOptionsFor } from '../workflows/activity-node';
import { codeVersion, loadAverage, mean, procCpuMs, stats, useSandboxWatchdog } from './measure';
import type { HandWrittenChainInput } from './workflows/hand-written-chain';

const EventType = temporal.api.enums.v1.EventType;
const DEFAULT_RUNS: Record<number, number> = { 3: 20, 40: 20, 1000: 3 };

type Kind = typeof RUN_FLOW.workflow | 'hand-written';
let KINDS: Kind[] = [RUN_FLOW.workflow, 'hand-written'];

/** One measured run. */
interface Sample {
  workflowId: string;
  firstRunId: string;
  wallMs: number;
  /** CPU of this process (client + worker + activities) during the run. */
  cpuMs: number;
  /** CPU of the dev server process during the run (10 ms resolution). */
  serverCpuMs: number;
  /** Promises created in workflow context during the run (`--count-promises` only). */
  promises?: number;
}

/** What a run's history (all its continue-as-new runs) says. */
interface HistoryFacts {
  events: number;
  runs: number;
  bytes: number;
  workflowTasks: number;
  /** Sum over workflow tasks of started → completed: worker processing plus the completion RPC. */
  wftMs: number;
  /** Sum over workflow tasks of scheduled → started: dispatch to the worker. */
  wftWaitMs: number;
  /** Sum over activities of scheduled → completed. */
  activityMs: number;
  /** First event of the first run → last event of the last run. */
  serverMs: number;
}

const f1 = (v: number) => v.toFixed(1);

/** `start → n1 → … → nN → end`, every `ni` a `noop` returning `i`; the end node returns nN's output. */
function chainFlow(n: number) {
  const nodes: Record<string, unknown>[] = [{ id: 'start', type: 'start' }];
  for (let i = 1; i <= n; i++) nodes.push({ id: `n${i}`, type: 'noop', data: { value: i } });
  nodes.push({ id: 'end', type: 'end' });
  const edges = nodes.slice(1).map((node, i) => ({ source: String(nodes[i].id), target: String(node.id) }));
  return { nodes, edges };
}

async function historyFacts(client: Client, workflowId: string, firstRunId: string): Promise<HistoryFacts> {
  const facts: HistoryFacts = {
    events: 0,
    runs: 0,
    bytes: 0,
    workflowTasks: 0,
    wftMs: 0,
    wftWaitMs: 0,
    activityMs: 0,
    serverMs: 0,
  };
  let runId: string | undefined = firstRunId;
  let first: number | undefined;
  let last = 0;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    facts.runs++;
    facts.events += events.length;
    facts.bytes += temporal.api.history.v1.History.encode(history).finish().length;
    const timeOf = new Map<number, number>();
    runId = undefined;
    for (const e of events) {
      const at = tsToMs(e.eventTime);
      timeOf.set(Number(e.eventId), at);
      first ??= at;
      last = at;
      switch (e.eventType) {
        case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED: {
          const scheduled = timeOf.get(Number(e.workflowTaskStartedEventAttributes?.scheduledEventId));
          if (scheduled !== undefined) facts.wftWaitMs += at - scheduled;
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: {
          facts.workflowTasks++;
          const started = timeOf.get(Number(e.workflowTaskCompletedEventAttributes?.startedEventId));
          if (started !== undefined) facts.wftMs += at - started;
          break;
        }
        case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
          const scheduled = timeOf.get(Number(e.activityTaskCompletedEventAttributes?.scheduledEventId));
          if (scheduled !== undefined) facts.activityMs += at - scheduled;
          break;
        }
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
          runId = e.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
          break;
      }
    }
  }
  facts.serverMs = last - (first ?? last);
  return facts;
}

/** The events of a run's first execution, one a line: `+ms id TYPE`, for `--dump`. */
async function timeline(client: Client, workflowId: string, runId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const t0 = tsToMs(events[0]?.eventTime);
  return events
    .map(
      (e) =>
        `${String(tsToMs(e.eventTime) - t0).padStart(6)} ${String(e.eventId).padStart(5)} ${EventType[e.eventType ?? 0]}`,
    )
    .join('\n');
}

function averageFacts(all: HistoryFacts[]): HistoryFacts {
  const keys = Object.keys(all[0]) as (keyof HistoryFacts)[];
  return Object.fromEntries(keys.map((k) => [k, mean(all.map((f) => f[k]))])) as unknown as HistoryFacts;
}

function parseRuns(spec: string | undefined): Record<number, number> {
  const runs = { ...DEFAULT_RUNS };
  for (const part of (spec ?? '').split(',').filter(Boolean)) {
    const [n, r] = part.split('=').map(Number);
    runs[n] = r;
  }
  return runs;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    allowNegative: true,
    options: {
      sizes: { type: 'string', default: '3,40,1000' },
      runs: { type: 'string' },
      warmup: { type: 'string', default: '1' },
      dump: { type: 'boolean', default: false },
      only: { type: 'string' },
      'debug-mode': { type: 'boolean', default: false },
      'no-promise-hook': { type: 'boolean', default: false },
      'count-promises': { type: 'boolean', default: false },
      eager: { type: 'boolean', default: true },
      watchdog: { type: 'string', default: 'shared' },
    },
  });
  const sizes = values.sizes.split(',').map(Number);
  const runsFor = parseRuns(values.runs);
  const warmup = Number(values.warmup);
  // Diagnostics (e.g. a CPU profile of one side): run only one of the two workflows.
  if (values.only) KINDS = KINDS.filter((k) => k === values.only);

  let promiseCount = 0;
  if (values['no-promise-hook'] || values['count-promises']) {
    // Diagnostics: the SDK captures a source-mapped stack trace for every promise a workflow creates
    // (for the `__stack_trace` query). Replacing that hook is only possible in-process (debugMode):
    // with nothing (--no-promise-hook) or with a counter of workflow-context promises (--count-promises).
    values['debug-mode'] = true;
    const { globalHandlers } = require('@temporalio/worker/lib/workflow/vm-shared') as {
      globalHandlers: { setPromiseHook(): void };
    };
    globalHandlers.setPromiseHook = () => {
      if (!values['count-promises']) return;
      v8.promiseHooks.onInit((promise) => {
        if (promise.constructor !== Promise) promiseCount++; // created in the workflow's vm context
      });
    };
  }
  // As a supervised worker of `./dev up` runs its sandbox (both workflows share the worker).
  const watchdog = values['debug-mode'] ? 'per-entry (debugMode)' : useSandboxWatchdog(values.watchdog);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cliPath = await findTemporalCli({ temporal: {} });
  // The platform's bundle options (preloaded modules, compile target) with both workflows.
  const workflowBundle = await bundleWorkflowCode(interpreterBundleOptions(require.resolve('./workflows/overhead-bundle')));
  const server = await startDevServer({
    cliPath,
    port: await getFreePort(),
    headless: true,
    namespace: 'default',
  });
  const { connection, client } = await connectTemporal(server.address, 'default');
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  // As the platform does when a worker runs in its process: both workflows start eagerly on the worker's connection.
  const starter = values.eager ? new Client({ connection: nativeConnection, namespace: 'default' }) : client;
  const out = (line = '') => console.log(line);
  try {
    const taskQueue = `overhead-${Date.now()}`;
    // The platform worker's settings (src/worker/create-worker.ts) with this bundle.
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      workflowBundle,
      activities: createActivities({
        services: createNodeServices(),
        logSink: { write: async () => undefined },
        prepareSubFlow: async () => {
          throw new Error('no sub-flows in this benchmark');
        },
      }),
      maxConcurrentActivityTaskExecutions: 100,
      sinks: NO_RUN_INDEX,
      // Diagnostic: workflows in this thread instead of a worker thread.
      debugMode: values['debug-mode'],
    });

    const runOnce = async (
      kind: Kind,
      n: number,
      definition: ReturnType<typeof compileFlow>,
    ): Promise<Sample> => {
      const input: RunFlowInput = {
        execution_id: randomUUID(),
        flow_id: randomUUID(),
        flow_version: 1,
        owner_id: 'bench-owner',
        trigger: { type: 'manual' },
        input_data: {},
        definition,
      };
      // Same start options for both: the platform's search attributes.
      const common = { taskQueue, typedSearchAttributes: searchAttributesFor(input), requestEagerStart: values.eager };
      const noopNode = definition.nodes[1];
      const { startToCloseTimeout, heartbeatTimeout, retry } = activityOptionsFor(noopNode, noopNode.id);
      const handArgs: HandWrittenChainInput = {
        execution_id: input.execution_id,
        flow_id: input.flow_id,
        owner_id: input.owner_id,
        input: input.input_data,
        n,
        options: { startToCloseTimeout, heartbeatTimeout, retry },
        local: noopNode.exec.local === true,
      };
      const promises0 = promiseCount;
      const serverCpu0 = procCpuMs(server.pid);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const handle =
        kind === RUN_FLOW.workflow
          ? await starter.workflow.start(RUN_FLOW.workflow, {
              ...common,
              workflowId: workflowIdFor(input.execution_id),
              args: [input],
            })
          : await starter.workflow.start('handWrittenChain', {
              ...common,
              workflowId: `hand-${input.execution_id}`,
              args: [handArgs],
            });
      await handle.result();
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      return {
        workflowId: handle.workflowId,
        firstRunId: handle.firstExecutionRunId,
        wallMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        serverCpuMs: procCpuMs(server.pid) - serverCpu0,
        ...(values['count-promises'] ? { promises: promiseCount - promises0 } : {}),
      };
    };

    const results: { n: number; kind: Kind; samples: Sample[]; facts: HistoryFacts; load: string }[] = [];
    await worker.runUntil(async () => {
      for (const n of sizes) {
        const definition = compileFlow(chainFlow(n));
        const runs = runsFor[n] ?? 10;
        const samples: Record<Kind, Sample[]> = { [RUN_FLOW.workflow]: [], 'hand-written': [] };
        const loadBefore = loadAverage();
        for (let i = 0; i < warmup + runs; i++) {
          const order = i % 2 === 0 ? KINDS : [...KINDS].reverse();
          for (const kind of order) {
            const s = await runOnce(kind, n, definition);
            if (i >= warmup) samples[kind].push(s);
          }
        }
        const loadAfter = loadAverage();
        for (const kind of KINDS) {
          const facts = [];
          for (const s of samples[kind]) facts.push(await historyFacts(client, s.workflowId, s.firstRunId));
          results.push({
            n,
            kind,
            samples: samples[kind],
            facts: averageFacts(facts),
            load: `${loadBefore} → ${loadAfter}`,
          });
        }
        if (values.dump) {
          for (const kind of KINDS) {
            const s = samples[kind][samples[kind].length - 1];
            console.error(`\n${kind} N=${n} ${s.workflowId}: ${f1(s.wallMs)} ms wall`);
            console.error(await timeline(client, s.workflowId, s.firstRunId));
          }
        }
        console.error(`N=${n} done (load ${loadBefore} → ${loadAfter})`);
      }
    });

    const mode = values['count-promises']
      ? ', debugMode, promise hook replaced by a counter'
      : values['no-promise-hook']
        ? ', debugMode, promise hook off'
        : values['debug-mode']
          ? ', debugMode'
          : '';
    out(
      `## interpreter overhead — ${new Date().toISOString()}, ${os.cpus().length} CPUs, code ${codeVersion(['workflows', 'src/shared', 'src/nodes', 'activities'])}, warm-up ${warmup} pair(s), sandbox watchdog ${watchdog}${mode}\n`,
    );
    out(
      '| N | workflow | runs | wall ms mean / p50 / p95 | ms per activity | worker CPU ms/run | server CPU ms/run | history events | runs (CAN) | history KB |',
    );
    out('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of results) {
      const w = stats(r.samples.map((s) => s.wallMs));
      out(
        `| ${r.n} | ${r.kind} | ${r.samples.length} | ${f1(w.mean)} / ${f1(w.p50)} / ${f1(w.p95)} | ${f1(w.mean / r.n)} | ` +
          `${f1(mean(r.samples.map((s) => s.cpuMs)))} | ${f1(mean(r.samples.map((s) => s.serverCpuMs)))} | ` +
          `${r.facts.events} | ${r.facts.runs} | ${f1(r.facts.bytes / 1024)} |`,
      );
      if (values['count-promises']) {
        const p = mean(r.samples.map((s) => s.promises ?? 0));
        out(
          `|   | ↳ workflow-context promises per run: ${f1(p)} (${f1(p / r.n)} per activity) | | | | | | | | |`,
        );
      }
    }
    out(
      '\n| N | ratio runFlow / hand-written: wall mean | wall p50 | wall p95 | worker CPU | server CPU | load average (1/5/15 min, before → after) |',
    );
    out('|---|---|---|---|---|---|---|');
    for (const n of sizes) {
      const [a, b] = KINDS.map((k) => results.find((r) => r.n === n && r.kind === k)!);
      if (!a || !b) continue;
      const [wa, wb] = [a, b].map((r) => stats(r.samples.map((s) => s.wallMs)));
      const ratio = (x: number, y: number) => (y > 0 ? (x / y).toFixed(3) : 'n/a');
      out(
        `| ${n} | **${ratio(wa.mean, wb.mean)}** | ${ratio(wa.p50, wb.p50)} | ${ratio(wa.p95, wb.p95)} | ` +
          `${ratio(mean(a.samples.map((s) => s.cpuMs)), mean(b.samples.map((s) => s.cpuMs)))} | ` +
          `${ratio(mean(a.samples.map((s) => s.serverCpuMs)), mean(b.samples.map((s) => s.serverCpuMs)))} | ${a.load} |`,
      );
    }
    out('\nWhere the time goes, from the histories (means per run, ms; server clock):\n');
    out(
      '| N | workflow | workflow tasks | WFT scheduled→started (sum) | WFT started→completed (sum) | activity scheduled→completed (sum) | first→last event |',
    );
    out('|---|---|---|---|---|---|---|');
    for (const r of results) {
      const f = r.facts;
      out(
        `| ${r.n} | ${r.kind} | ${f1(f.workflowTasks)} | ${f1(f.wftWaitMs)} | ${f1(f.wftMs)} | ${f1(f.activityMs)} | ${f1(f.serverMs)} |`,
      );
    }
  } finally {
    await nativeConnection.close();
    await connection.close();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
