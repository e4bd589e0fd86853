/**
 * Normalise + validate benchmark: 1,000-node / 2,000-edge flows in three shapes, built from real
 * node types with templates and expressions. Run: `npx tsx bench/validation.ts`.
 *
 * `cold`: every run validates strings never seen before (as when a flow is imported), so each
 * JSONata expression is parsed; `warm`: the same flow again (as while it is edited and saved).
 */
import { cpus, loadavg } from 'node:os';
import { normalizeFlow } from '../src/nodes/normalize-flow';
import { validateFlow } from '../src/nodes/validate-flow';

type Node = { id: string; type: string; data: Record<string, unknown> };
type Edge = { source: string; target: string; source_handle?: string };
type Graph = { nodes: Node[]; edges: Edge[] };

const WARMUP = 10;
const RUNS = 50;
const TARGET_MS = 50;

/** Makes every generated expression and template unique to one run (`cold`), or not (`warm`: 0). */
let salt = 0;
/** Use expressions outside the subset that validation reads without JSONata (predicates, `$$`). */
let needsJsonata = false;

/** A real node reading its predecessor's output: noop (template), transform or condition (JSONata). */
function nodeAt(i: number, prev: string): Node {
  const id = `n${i}`;
  if (needsJsonata && i % 10 === 5) return { id, type: 'condition', data: { expression: `$count(${prev}.result.items[price > ${salt}]) > 0` } };
  if (needsJsonata && i % 3 === 0) return { id, type: 'transform', data: { expression: `$$.${prev}.result.items[price > ${i + salt}].name` } };
  if (i % 10 === 5) return { id, type: 'condition', data: { expression: `${prev}.result > ${salt} and input.flag = true` } };
  if (i % 3 === 0) return { id, type: 'transform', data: { expression: `{ "value": ${prev}.result, "n": ${i + salt} }` } };
  return { id, type: 'noop', data: { value: { from: `{{ ${prev}.result }}`, note: `step ${i}.${salt} of {{ execution.id }}` } } };
}

/** Port for the k-th edge out of a node: conditions alternate true/false, others use the default port. */
function handle(node: Node, k: number): string | undefined {
  return node.type === 'condition' ? (k % 2 === 0 ? 'true' : 'false') : undefined;
}

function link(graph: Graph, outCount: Map<string, number>, from: Node, to: Node): void {
  const k = outCount.get(from.id) ?? 0;
  outCount.set(from.id, k + 1);
  const h = handle(from, k);
  graph.edges.push(h ? { source: from.id, target: to.id, source_handle: h } : { source: from.id, target: to.id });
}

/** start → n1 → … → n999, plus skip edges i → i+2 and a few i → i+3. */
function chainWithSkips(): Graph {
  const g: Graph = { nodes: [{ id: 'start', type: 'start', data: {} }], edges: [] };
  const out = new Map<string, number>();
  for (let i = 1; i < 1000; i++) g.nodes.push(nodeAt(i, g.nodes[i - 1].id));
  for (let i = 0; i < 999; i++) link(g, out, g.nodes[i], g.nodes[i + 1]);
  for (let i = 0; i + 2 < 1000; i++) link(g, out, g.nodes[i], g.nodes[i + 2]);
  for (let i = 0; g.edges.length < 2000; i++) link(g, out, g.nodes[i], g.nodes[i + 3]);
  return g;
}

/** start → 499 nodes → 499 nodes (each fed by two) → one join. */
function fanOutFanIn(): Graph {
  const width = 499;
  const g: Graph = { nodes: [{ id: 'start', type: 'start', data: {} }], edges: [] };
  const out = new Map<string, number>();
  const a: Node[] = [];
  const b: Node[] = [];
  for (let i = 0; i < width; i++) a.push(nodeAt(1 + i * 2, 'start'));
  for (let i = 0; i < width; i++) b.push(nodeAt(2 + i * 2, a[i].id));
  const join: Node = { id: 'join', type: 'end', data: { output: { first: '{{ n2.result }}', count: '{{ $count($keys($)) }}' } } };
  g.nodes.push(...a, ...b, join);
  for (const node of a) link(g, out, g.nodes[0], node);
  for (let i = 0; i < width; i++) link(g, out, a[i], b[i]);
  for (let i = 0; i < width; i++) link(g, out, a[i], b[(i + 1) % width]);
  for (const node of b) link(g, out, node, join);
  for (let i = 0; g.edges.length < 2000; i++) link(g, out, a[i], b[(i + 2) % width]);
  return g;
}

/** 250 diamonds (condition → true / false branches → join) chained, with cross and skip edges. */
function diamonds(): Graph {
  const g: Graph = { nodes: [], edges: [] };
  const out = new Map<string, number>();
  let prev = 'start';
  const joins: Node[] = [];
  for (let d = 0; d < 250; d++) {
    const c: Node = { id: `c${d}`, type: 'condition', data: { expression: `${d === 0 ? 'input' : prev}.result > ${d + salt}` } };
    const t: Node = { id: `t${d}`, type: 'noop', data: { value: `{{ input.x }} #${salt}` } };
    const f: Node = { id: `f${d}`, type: 'transform', data: { expression: `$string(${c.id}.result) & "${salt}"` } };
    const j: Node = { id: `j${d}`, type: 'noop', data: { value: { t: `{{ ${t.id}.result }}`, f: `{{ ${f.id}.result }}` } } };
    if (d === 0) g.nodes.push({ id: 'start', type: 'start', data: {} });
    g.nodes.push(c, t, f, j);
    if (d === 0) link(g, out, g.nodes[0], c);
    else {
      link(g, out, joins[d - 1], c);
      if (d >= 2) link(g, out, joins[d - 2], j);
    }
    g.edges.push({ source: c.id, target: t.id, source_handle: 'true' });
    g.edges.push({ source: c.id, target: f.id, source_handle: 'false' });
    g.edges.push({ source: c.id, target: j.id, source_handle: 'true' });
    link(g, out, t, j);
    link(g, out, f, j);
    link(g, out, t, f);
    joins.push(j);
    prev = j.id;
  }
  g.nodes.pop(); // keep it at 1,000 nodes including start
  g.edges = g.edges.filter((e) => e.source !== 'j249' && e.target !== 'j249');
  for (let d = 0; g.edges.length < 2000; d++) link(g, out, g.nodes.find((n) => n.id === `t${d}`)!, g.nodes.find((n) => n.id === `j${d + 1}`)!);
  return g;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Stats {
  p50: number;
  p95: number;
  max: number;
}

function stats(times: number[]): Stats {
  const sorted = [...times].sort((x, y) => x - y);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1] };
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Times normalize + validate of `make()`'s flow (the flow is built and serialised untimed): wall
 * time, and CPU time of this process, which other processes on a shared machine inflate less.
 */
function time(make: () => Graph, fresh: boolean): { wall: Stats; cpu: Stats } {
  const wall: number[] = [];
  const cpu: number[] = [];
  let raw = JSON.stringify(make());
  for (let i = 0; i < WARMUP + RUNS; i++) {
    if (fresh) {
      salt = 1 + i;
      raw = JSON.stringify(make());
    }
    const input = JSON.parse(raw);
    const startedCpu = cpuMs();
    const started = performance.now();
    validateFlow(normalizeFlow(input));
    const elapsed = performance.now() - started;
    if (i >= WARMUP) {
      wall.push(elapsed);
      cpu.push(cpuMs() - startedCpu);
    }
  }
  salt = 0;
  return { wall: stats(wall), cpu: stats(cpu) };
}

function bench(name: string, make: () => Graph) {
  const graph = make();
  const first = validateFlow(normalizeFlow(structuredClone(graph)));
  if (!first.valid) throw new Error(`${name} is invalid: ${JSON.stringify(first.errors.slice(0, 5))}`);
  if (first.warnings.length) throw new Error(`${name} has warnings: ${JSON.stringify(first.warnings.slice(0, 5))}`);
  return { name, nodes: graph.nodes.length, edges: graph.edges.length, cold: time(make, true), warm: time(make, false) };
}

const loadBefore = loadavg()[0];
const results = [bench('chain with skip edges', chainWithSkips), bench('fan-out / fan-in', fanOutFanIn), bench('diamonds', diamonds)];
needsJsonata = true;
const jsonataBound = bench('chain, 400 expressions JSONata must parse', chainWithSkips);
const loadAfter = loadavg()[0];

const fmt = (s: Stats) => `${s.p50.toFixed(1)} / ${s.p95.toFixed(1)} / ${s.max.toFixed(1)}`;
const lines = [
  `normalize + validate, ${RUNS} runs after ${WARMUP} warm-up runs; node ${process.version}, ${process.platform}/${process.arch}, ` +
    `${cpus().length} CPUs, load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}; target ≤ ${TARGET_MS} ms`,
  '',
  '| shape | nodes | edges | cold wall p50 / p95 / max | cold CPU p50 / p95 / max | warm wall p50 / p95 / max | warm CPU p50 / p95 / max |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...[...results, jsonataBound].map(
    (r) => `| ${r.name} | ${r.nodes} | ${r.edges} | ${fmt(r.cold.wall)} | ${fmt(r.cold.cpu)} | ${fmt(r.warm.wall)} | ${fmt(r.warm.cpu)} |`,
  ),
  '',
  'ms. cold: strings never validated before (import); warm: the same flow again (editing). The last row is',
  'informational: each distinct expression outside the simple subset costs one JSONata parse when cold.',
];
console.log(lines.join('\n'));
const slow = results.filter((r) => r.cold.cpu.p95 > TARGET_MS || r.warm.cpu.p95 > TARGET_MS);
if (slow.length > 0) {
  console.error(`CPU time over the ${TARGET_MS} ms target: ${slow.map((r) => r.name).join(', ')}`);
  process.exitCode = 1;
}
