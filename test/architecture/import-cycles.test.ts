/**
 * No import cycles in the application code (src/, workflows/, activities/). Type-only imports count
 * too, as they do for `madge --circular`: a cycle of types is still two modules that cannot be
 * understood, moved or layered one without the other.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const DIRS = ['src', 'workflows', 'activities'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** file → the project files it imports (static, type-only, re-exports, require and import()). */
export function importGraph(files: string[]): Map<string, string[]> {
  const options: ts.CompilerOptions = { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 };
  const inProject = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const deps = importedFiles
      .map((i) => ts.resolveModuleName(i.fileName, file, options, ts.sys).resolvedModule?.resolvedFileName)
      .filter((f): f is string => f !== undefined && inProject.has(path.resolve(f)))
      .map((f) => path.resolve(f));
    graph.set(file, [...new Set(deps)]);
  }
  return graph;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('import cycles', () => {
  const files = DIRS.flatMap((d) => sourceFiles(path.join(ROOT, d)));
  const rel = (f: string) => path.relative(ROOT, f);

  it('src/, workflows/ and activities/ import each other without cycles', () => {
    const graph = importGraph(files);
    assert.ok(graph.size > 100, `only ${graph.size} files found`);
    assert.deepEqual(cycles(graph).map((c) => c.map(rel)), []);
  });

  it('the check finds a cycle, including one made of type imports only', () => {
    const graph = new Map<string, string[]>([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
      ['e', ['e']],
    ]);
    assert.deepEqual(cycles(graph), [['a', 'b', 'c'], ['e']]);
    // The import before the loop-node fix: a type import closes the cycle.
    const loopNode = path.join(ROOT, 'workflows/loop-node.ts');
    const real = importGraph(files);
    const withBackEdge = new Map(real).set(loopNode, [...real.get(loopNode)!, path.join(ROOT, 'workflows/loop-batch.ts')]);
    assert.deepEqual(cycles(withBackEdge).map((c) => c.map(rel)), [
      ['workflows/control-nodes.ts', 'workflows/execute-node.ts', 'workflows/loop-batch.ts', 'workflows/loop-node.ts'],
    ]);
  });

  it('type-only imports are edges of the graph', () => {
    const graph = importGraph(files);
    // loop-batch imports LoopBatchInput from loop-node as a type only.
    assert.ok(graph.get(path.join(ROOT, 'workflows/loop-batch.ts'))!.includes(path.join(ROOT, 'workflows/loop-node.ts')));
  });
});
