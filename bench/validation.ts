/**
 * Normalise + validate benchmark: 1,000-node / ~2,000-edge flows in three shapes, built from real
 * node types with templates and expressions. Run: `npx tsx bench/validation.ts`.
 */
import { normalizeFlow } from '../src/nodes/normalize-flow';
import { validateFlow } from '../src/nodes/validate-flow';

type Node = { id: string; type: string; data: Record<string, unknown> };
type Edge = { source: string; target: string; source_handle?: string };
type Graph = { nodes: Node[]; edges: Edge[] };

const WARMUP = 10;
const RUNS = 50;
const TARGET_MS = 50;

/** A real node reading its predecessor's output: noop (template), transform or condition (JSONata). */
function nodeAt(i: number, prev: string): Node {
  const id = `n${i}`;
  if (i % 10 === 5) return { id, type: 'condition', data: { expression: `${prev}.result > 10 and input.flag = true` } };
  if (i % 3 === 0) return { id, type: 'transform', data: { expression: `{ "value": ${prev}.result, "n": ${i} }` } };
  return { id, type: 'noop', data: { value: { from: `{{ ${prev}.result }}`, note: `step ${i} of {{ execution.id }}` } } };
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
    const c: Node = { id: `c${d}`, type: 'condition', data: { expression: `${d === 0 ? 'input' : prev}.result > ${d}` } };
    const t: Node = { id: `t${d}`, type: 'noop', data: { value: '{{ input.x }}' } };
    const f: Node = { id: `f${d}`, type: 'transform', data: { expression: `$string(${c.id}.result)` } };
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

function bench(name: string, graph: Graph): { name: string; nodes: number; edges: number; p50: number; p95: number; max: number } {
  const raw = JSON.stringify(graph);
  const first = validateFlow(normalizeFlow(JSON.parse(raw)));
  if (!first.valid) throw new Error(`${name} is invalid: ${JSON.stringify(first.errors.slice(0, 5))}`);
  if (first.warnings.length) throw new Error(`${name} has warnings: ${JSON.stringify(first.warnings.slice(0, 5))}`);
  for (let i = 0; i < WARMUP; i++) validateFlow(normalizeFlow(JSON.parse(raw)));
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const input = JSON.parse(raw);
    const started = performance.now();
    validateFlow(normalizeFlow(input));
    times.push(performance.now() - started);
  }
  times.sort((x, y) => x - y);
  return { name, nodes: graph.nodes.length, edges: graph.edges.length, p50: percentile(times, 50), p95: percentile(times, 95), max: times[times.length - 1] };
}

const results = [
  bench('chain with skip edges', chainWithSkips()),
  bench('fan-out / fan-in', fanOutFanIn()),
  bench('diamonds', diamonds()),
];

const fmt = (ms: number) => ms.toFixed(2);
const lines = [
  `normalize + validate, ${RUNS} runs after ${WARMUP} warm-up runs (node ${process.version}, ${process.platform}/${process.arch}); target p95 ≤ ${TARGET_MS} ms`,
  '',
  '| shape | nodes | edges | p50 ms | p95 ms | max ms |',
  '|---|---:|---:|---:|---:|---:|',
  ...results.map((r) => `| ${r.name} | ${r.nodes} | ${r.edges} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.max)} |`),
];
console.log(lines.join('\n'));
const slow = results.filter((r) => r.p95 > TARGET_MS);
if (slow.length > 0) {
  console.error(`Over target: ${slow.map((r) => r.name).join(', ')}`);
  process.exitCode = 1;
}
