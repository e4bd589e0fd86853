/** Small helpers shared by the benchmarks: summary statistics, CPU of a process, and the machine's state. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

/** Mean and percentiles of a sample. */
export interface Stats {
  mean: number;
  p50: number;
  p95: number;
}

/** Mean, p50 and p95 (nearest rank) of `values`. */
export function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { mean: mean(values), p50: pick(0.5), p95: pick(0.95) };
}

/** Arithmetic mean. */
export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** `mean / p50 / p95` with one decimal. */
export function formatStats(s: Stats): string {
  return `${s.mean.toFixed(1)} / ${s.p50.toFixed(1)} / ${s.p95.toFixed(1)}`;
}

/** The 1, 5 and 15 minute load averages. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** CPU time (user + system) of a process from /proc, in ms (10 ms resolution); 0 where /proc is unavailable. */
export function procCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in USER_HZ (100)
  } catch {
    return 0;
  }
}

/** The commit measured, marked `+local changes` when any of `paths` differs from it. */
export function codeVersion(paths: string[] = ['workflows', 'src', 'activities']): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', ...paths], {
      encoding: 'utf8',
    }).trim();
    return dirty ? `${commit} +local changes` : commit;
  } catch {
    return 'unknown';
  }
}

/**
 * The benches' 3-node flow (start → noop → end, with a template on each side): the flow of the
 * issue's "3-node" targets, as `POST /workflows` takes it.
 */
export function threeNodeFlow(name: string, description?: string) {
  return {
    name,
    ...(description ? { description } : {}),
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'work', type: 'noop', data: { value: '{{ input.n }}' } },
      { id: 'end', type: 'end', data: { output: { n: '{{ work.result }}' } } },
    ],
    edges: [
      { source: 'start', target: 'work' },
      { source: 'work', target: 'end' },
    ],
  };
}

/**
 * Makes the workflow threads this process starts from now on run with the platform's shared
 * sandbox watchdog (`src/worker/sandbox-watchdog.ts`), as a supervised worker of `./dev up` does;
 * `per-entry` leaves the Temporal SDK's default (a watchdog thread per entry into the sandbox).
 * Threads inherit `process.execArgv` when they are created, so call this before `Worker.create`.
 * Not for `debugMode`, where workflows run in this thread.
 */
export function useSandboxWatchdog(mode: string): 'shared' | 'per-entry' {
  if (mode !== 'shared' && mode !== 'per-entry') throw new Error(`--watchdog: ${mode} is not shared or per-entry`);
  if (mode === 'shared') process.execArgv.push('--require', require.resolve('../src/worker/sandbox-watchdog-preload'));
  return mode;
}
