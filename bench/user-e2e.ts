/**
 * What a user gets from `./dev up`: the platform started as the README says (`src/main.ts`, the
 * embedded file-backed Temporal dev server, SQLite, the worker in its supervised process),
 * measured through the public API only.
 *
 *   npx tsx bench/user-e2e.ts [--sequential 50] [--clients 16] [--seconds 15] [--chains noop:40,transform:200,transform:1000]
 *
 * 1. A 3-node flow (start → noop → end), `execute {wait: true}` one after the other: p50 / p95,
 *    and the CPU each run costs the platform's processes and the dev server (in all, and by process).
 * 2. `clients` clients firing async executes for `seconds`: accepted per second, runs completed
 *    per second while firing, and overall until the last one closed.
 * 3. Chains: 40 sequential noop nodes, and chains of transforms, one run each (wall time of
 *    `execute {wait: true}`, 3 runs, the median).
 * Results: docs/benchmarks.md, "What a user gets".
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { apiClient, codeVersion, loadAverage, procCpuMs, startDevUp, threeNodeFlow } from './measure';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** Every process under `pid` (the platform, its worker, the dev server), from /proc. */
function descendants(pid: number): number[] {
  const out = [pid];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(...descendants(Number(entry)));
    } catch {
      // gone
    }
  }
  return out;
}

/** What a process of the platform is, from its command line: the API, the worker, the dev server, an expression child. */
function processName(pid: number): string {
  let cmd = '';
  try {
    cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return `pid ${pid}`;
  }
  if (cmd.includes('start-dev')) return 'dev server';
  if (cmd.includes('worker-main')) return 'worker';
  if (cmd.includes('src/main.ts')) return 'API';
  if (cmd.includes('expression-child')) return 'expression pool';
  return `pid ${pid}`;
}

function chain(kind: 'noop' | 'transform', n: number) {
  const nodes: Record<string, unknown>[] = [{ id: 'start', type: 'start' }];
  for (let i = 1; i <= n; i++) {
    nodes.push(
      kind === 'noop'
        ? { id: `n${i}`, type: 'noop', data: { value: i } }
        : { id: `n${i}`, type: 'transform', data: { expression: i === 1 ? '1' : `n${i - 1}.result + 1` } },
    );
  }
  nodes.push({ id: 'end', type: 'end' });
  const edges = nodes.slice(1).map((node, i) => ({ source: String(nodes[i].id), target: String(node.id) }));
  return { name: `${kind} x${n}`, nodes, edges };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sequential: { type: 'string', default: '50' },
      clients: { type: 'string', default: '16' },
      seconds: { type: 'string', default: '15' },
      chains: { type: 'string', default: 'noop:40,transform:200,transform:1000' },
    },
  });
  const platform = await startDevUp();
  const { call, signUp } = apiClient(platform.api);
  const out: string[] = [];
  try {
    await signUp();
    const create = async (flow: unknown) => (await call('POST', '/workflows', flow)).body.id as string;
    const three = await create(threeNodeFlow('3 nodes'));
    const pids = descendants(platform.process.pid!);

    // 1. sequential
    const seq: number[] = [];
    const n = Number(values.sequential);
    for (let i = 0; i < n + 5; i++) {
      const t0 = performance.now();
      const r = await call('POST', `/workflows/${three}/execute`, { input_data: { n: i }, wait: true });
      if (r.status !== 200 || r.body.output_data?.n !== i) throw new Error(`execute: ${r.status} ${JSON.stringify(r.body)}`);
      if (i >= 5) seq.push(performance.now() - t0);
    }
    const cpuRuns = 50;
    const cpu0 = pids.map((pid) => procCpuMs(pid));
    for (let i = 0; i < cpuRuns; i++) await call('POST', `/workflows/${three}/execute`, { input_data: { n: i }, wait: true });
    const perProcess = pids.map((pid, k) => (procCpuMs(pid) - cpu0[k]) / cpuRuns);
    const cpuPerRun = perProcess.reduce((a, b) => a + b, 0);
    out.push(`3-node flow, execute {wait: true} one after the other (${n} runs): p50 ${pct(seq, 0.5).toFixed(1)} ms, p95 ${pct(seq, 0.95).toFixed(1)} ms`);
    out.push(
      `CPU per 3-node run (platform, worker and dev server processes): ${cpuPerRun.toFixed(1)} ms ` +
        `(${pids.map((pid, k) => `${processName(pid)} ${perProcess[k].toFixed(1)}`).join(', ')})`,
    );

    // 2. sustained
    const seconds = Number(values.seconds);
    const ids: string[] = [];
    let rejected = 0;
    const t0 = Date.now();
    const stopAt = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: Number(values.clients) }, async () => {
        while (Date.now() < stopAt) {
          const r = await call('POST', `/workflows/${three}/execute`, { input_data: { n: 1 } });
          if (r.status === 201) ids.push(r.body.id);
          else if (r.status === 429) {
            rejected++;
            await sleep(Number(r.body?.error?.details?.retry_after_s ?? 1) * 100);
          } else throw new Error(`execute: ${r.status} ${JSON.stringify(r.body)}`);
        }
      }),
    );
    const firedMs = Date.now() - t0;
    const finishedAt = new Map<string, number>();
    for (;;) {
      const page = await call('GET', `/workflows/${three}/executions?status=completed&limit=1`);
      const running = await call('GET', `/executions?workflow_id=${three}&status=running&limit=1`);
      const pending = await call('GET', `/executions?workflow_id=${three}&status=pending&limit=1`);
      if (running.body.total === 0 && pending.body.total === 0 && page.body.total >= ids.length + n + 25) break;
      await sleep(200);
    }
    for (let skip = 0; skip < ids.length + 200; skip += 100) {
      const page = await call('GET', `/workflows/${three}/executions?limit=100&skip=${skip}`);
      for (const item of page.body.items) if (item.finished_at) finishedAt.set(item.id, Date.parse(item.finished_at));
      if (page.body.items.length < 100) break;
    }
    const closes = ids.map((id) => finishedAt.get(id) ?? Infinity);
    const duringFiring = closes.filter((c) => c <= t0 + firedMs).length;
    const last = Math.max(...closes.filter(Number.isFinite));
    out.push(
      `${values.clients} clients × ${seconds} s: ${ids.length} accepted (${(ids.length / (firedMs / 1000)).toFixed(1)}/s), ${rejected} answered 429; ` +
        `${duringFiring} completed while firing (${(duringFiring / (firedMs / 1000)).toFixed(1)} runs/s), all done after ${((last - t0) / 1000).toFixed(1)} s (${(ids.length / ((last - t0) / 1000)).toFixed(1)} runs/s overall)`,
    );

    // 3. chains
    for (const spec of values.chains.split(',').filter(Boolean)) {
      const [kind, size] = spec.split(':') as ['noop' | 'transform', string];
      if ((kind !== 'noop' && kind !== 'transform') || !(Number(size) > 0)) throw new Error(`--chains: ${spec} is not noop:N or transform:N`);
      const flow = await create(chain(kind, Number(size)));
      const walls: number[] = [];
      for (let i = 0; i < 3; i++) {
        const s = performance.now();
        const r = await call('POST', `/workflows/${flow}/execute`, { wait: true, timeout_ms: 300_000 });
        if (r.status !== 200) throw new Error(`chain ${spec}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        walls.push(performance.now() - s);
      }
      out.push(`chain of ${size} ${kind} nodes: ${pct(walls, 0.5).toFixed(0)} ms (median of 3: ${walls.map((w) => w.toFixed(0)).join(', ')})`);
    }
    console.log(`code ${codeVersion()}, ${os.cpus().length} CPUs, load ${loadAverage()}, ./dev up defaults (file-backed dev server, SQLite, supervised worker)`);
    for (const line of out) console.log(line);
  } finally {
    await platform.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
