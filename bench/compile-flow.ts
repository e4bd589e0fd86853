/**
 * What compiling a flow costs, which every run paid before the API kept compiled flows
 * (src/services/compiled-flow-cache.ts), and what a run pays now for the cache's key.
 *
 *   npx tsx bench/compile-flow.ts
 *
 * Chains of transforms (start → t1 … tN → end) of 3, 200 and 1,000 nodes: `compileFlow` per call,
 * and a cache hit (the graph's JSON and its hash, then the lookup).
 * Results: docs/benchmarks.md, "What a user gets", session 8.
 */
import os from 'node:os';
import { compileFlow } from '../src/nodes/compile-flow';
import { createCompiledFlowCache } from '../src/services/compiled-flow-cache';
import { codeVersion } from './measure';

function chain(n: number) {
  const nodes: { id: string; type: string; data?: Record<string, unknown> }[] = [{ id: 'start', type: 'start' }];
  const edges: { source: string; target: string }[] = [];
  let prev = 'start';
  for (let i = 1; i <= n; i++) {
    nodes.push({ id: `t${i}`, type: 'transform', data: { expression: `input.n + ${i}` } });
    edges.push({ source: prev, target: `t${i}` });
    prev = `t${i}`;
  }
  nodes.push({ id: 'end', type: 'end' });
  edges.push({ source: prev, target: 'end' });
  return { name: `chain of ${n}`, nodes, edges };
}

function perCall(fn: () => unknown, calls: number): number {
  for (let i = 0; i < 3; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return (performance.now() - t0) / calls;
}

console.log(`code ${codeVersion()}, ${os.cpus().length} CPUs`);
for (const n of [3, 200, 1000]) {
  const flow = chain(n);
  const calls = n > 100 ? 20 : 500;
  const compile = perCall(() => compileFlow(flow), calls);
  const cache = createCompiledFlowCache();
  const hit = perCall(() => cache.compile(flow), calls * 5);
  console.log(`${n} transforms: compileFlow ${compile.toFixed(2)} ms, cache hit ${hit.toFixed(3)} ms per run`);
}
