/**
 * Dev server tuning benchmark: how fast does a chain of sequential no-op activities run on
 * `temporal server start-dev` with a given dynamic config?
 *
 *   npx tsx bench/dev-server-tuning.ts [--runs 20] [--activities 40] [--preset NAME ...] [--dc KEY=JSON ...]
 *
 * Without `--preset`/`--dc` every preset below is measured. For each configuration a fresh in-memory
 * dev server and a fresh worker are started, one warm-up run is discarded, then `runs` workflows of
 * `activities` sequential activities are executed one after another. Results: docs/benchmarks.md.
 */
import { parseArgs } from 'node:util';
import { NativeConnection, Runtime, DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { connectTemporal } from '../src/temporal/connection';
import { findTemporalCli } from '../src/temporal/cli';
import { DEV_SERVER_DYNAMIC_CONFIG, getFreePort, startDevServer, type DynamicConfigValue } from '../src/temporal/dev-server';
import * as activities from './activities/noop';
import type { chain } from './workflows/chain';

const RAISED = 10000;

/** Candidate dynamic configs. `defaults` is the CLI's own configuration. */
const PRESETS: Record<string, Record<string, DynamicConfigValue>> = {
  defaults: {},
  transfer: { 'history.transferProcessorMaxPollRPS': RAISED },
  'history-queues': {
    'history.transferProcessorMaxPollRPS': RAISED,
    'history.timerProcessorMaxPollRPS': RAISED,
    'history.visibilityProcessorMaxPollRPS': RAISED,
  },
  'history-queues+1-partition': {
    'history.transferProcessorMaxPollRPS': RAISED,
    'history.timerProcessorMaxPollRPS': RAISED,
    'history.visibilityProcessorMaxPollRPS': RAISED,
    'matching.numTaskqueueReadPartitions': 1,
    'matching.numTaskqueueWritePartitions': 1,
  },
  'history-queues+frontend': {
    'history.transferProcessorMaxPollRPS': RAISED,
    'history.timerProcessorMaxPollRPS': RAISED,
    'history.visibilityProcessorMaxPollRPS': RAISED,
    'frontend.rps': 100000,
    'frontend.namespaceRPS': 100000,
  },
  'history-queues+eager-activities': {
    'history.transferProcessorMaxPollRPS': RAISED,
    'history.timerProcessorMaxPollRPS': RAISED,
    'history.visibilityProcessorMaxPollRPS': RAISED,
    'system.enableActivityEagerExecution': true,
  },
  chosen: { ...DEV_SERVER_DYNAMIC_CONFIG },
};

interface Stats {
  mean: number;
  p50: number;
  p95: number;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, p50: pick(0.5), p95: pick(0.95) };
}

const fmt = (s: Stats) => `${s.mean.toFixed(1)} / ${s.p50.toFixed(1)} / ${s.p95.toFixed(1)}`;

async function measure(
  cliPath: string,
  workflowBundle: { code: string },
  dynamicConfig: Record<string, DynamicConfigValue>,
  runs: number,
  n: number,
): Promise<{ run: Stats; activity: Stats }> {
  const server = await startDevServer({
    cliPath,
    port: await getFreePort(),
    headless: true,
    namespace: 'default',
    dynamicConfig,
  });
  const { connection, client } = await connectTemporal(server.address, 'default');
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  try {
    const taskQueue = `bench-${Date.now()}`;
    const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle, activities });
    const runMs: number[] = [];
    const gapMs: number[] = [];
    await worker.runUntil(async () => {
      for (let i = 0; i <= runs; i++) {
        const started = Date.now();
        const ranAt = await client.workflow.execute<typeof chain>('chain', {
          taskQueue,
          workflowId: `${taskQueue}-${i}`,
          args: [n],
        });
        const finished = Date.now();
        if (i === 0) continue; // warm-up
        runMs.push(finished - started);
        ranAt.forEach((t, k) => gapMs.push(t - (k === 0 ? started : ranAt[k - 1])));
      }
    });
    return { run: stats(runMs), activity: stats(gapMs) };
  } finally {
    await nativeConnection.close();
    await connection.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '20' },
      activities: { type: 'string', default: '40' },
      preset: { type: 'string', multiple: true },
      dc: { type: 'string', multiple: true },
    },
  });
  const runs = Number(values.runs);
  const n = Number(values.activities);
  const configs: [string, Record<string, DynamicConfigValue>][] = [];
  for (const name of values.preset ?? []) {
    if (!PRESETS[name]) throw new Error(`unknown preset ${name}; known: ${Object.keys(PRESETS).join(', ')}`);
    configs.push([name, PRESETS[name]]);
  }
  if (values.dc?.length) {
    const custom = Object.fromEntries(
      values.dc.map((kv) => {
        const at = kv.indexOf('=');
        return [kv.slice(0, at), JSON.parse(kv.slice(at + 1)) as DynamicConfigValue];
      }),
    );
    configs.push([values.dc.join(' '), custom]);
  }
  if (configs.length === 0) configs.push(...Object.entries(PRESETS));

  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cliPath = await findTemporalCli({ temporal: {} }); // the script itself honours TEMPORAL_CLI_PATH
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows/chain'),
    logger: new DefaultLogger('WARN'),
  });

  console.log(`${runs} runs × ${n} sequential no-op activities per configuration (after 1 warm-up run)\n`);
  console.log('| configuration | per run ms (mean / p50 / p95) | per activity ms (mean / p50 / p95) |');
  console.log('|---|---|---|');
  for (const [name, dynamicConfig] of configs) {
    const result = await measure(cliPath, workflowBundle, dynamicConfig, runs, n);
    console.log(`| ${name} | ${fmt(result.run)} | ${fmt(result.activity)} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
