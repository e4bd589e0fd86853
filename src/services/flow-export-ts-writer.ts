/**
 * The flow exporter's writer for a whole graph: the statements of the workflow function, with the
 * branches that leave a node written as nested `if`/`switch` blocks (or `Promise.all` when they
 * run together) that meet again at the node's immediate post-dominator, and the graph's result.
 * A graph whose branches meet anywhere else has no such form and is refused.
 */
import type { CompiledFlow, CompiledNode, FlowEdge } from '../shared/flow';
import { camel, INDENT, list, quote, ref } from './flow-export-ts-code';
import { alwaysReaches, analyseGraph, EXIT, possiblePorts, ROOT } from './flow-export-ts-graph';
import { NodeWriter } from './flow-export-ts-writer-nodes';
import type { Port, Scope } from './flow-export-ts-writer-scope';

/** Writes the statements of a workflow from a compiled graph. */
export class FlowWriter extends NodeWriter {
  /** The statements of the workflow function, indented one level. */
  workflowBody(): string[] {
    const types = new Set<string>();
    const collect = (graph: CompiledFlow) => {
      for (const n of graph.nodes) {
        types.add(n.type);
        if (n.type === 'loop') collect(n.data.body as CompiledFlow);
      }
    };
    collect(this.flow);
    this.line('const ctx = newContext(input, trigger);');
    if (types.has('approval')) {
      this.helpers.add('approvals');
      this.line('const approvals = listenForApprovals();');
    }
    if (types.has('wait-event')) {
      this.helpers.add('events');
      this.line('const events = listenForEvents();');
    }
    const terminates = types.has('terminate');
    if (terminates) {
      this.helpers.add('terminate');
      this.line('try {');
      this.depth++;
    }
    this.graph(this.flow, '', 0, 'nodes');
    if (terminates) {
      this.depth--;
      this.line('} catch (err) {');
      this.line(`${INDENT}if (err instanceof Terminated) return err.finish();`);
      this.line(`${INDENT}throw err;`);
      this.line('}');
    }
    this.helpers.add(this.base64 ? 'registerBase64' : 'registerNone');
    if (!this.helpers.has('evaluate')) this.helpers.delete(this.base64 ? 'registerBase64' : 'registerNone');
    return this.lines;
  }

  /** Writes a graph's nodes, then `return` of its result. */
  protected graph(flow: CompiledFlow, activityPrefix: string, depth: number, path: string): void {
    const scope: Scope = {
      g: analyseGraph(flow),
      activityPrefix,
      depth,
      joins: new Map(),
      emitted: new Set(),
      certain: new Set(),
      paths: new Map(flow.nodes.map((n, i) => [n.id, `${path}[${i}]`])),
    };
    this.after(scope, ROOT, EXIT, true, { literal: 'default' });
    for (const n of flow.nodes) if (scope.g.reachable.has(n.id) && !scope.emitted.has(n.id)) this.unstructured(scope, n.id);
    const ends = flow.nodes.filter((n) => n.type === 'end' && scope.g.reachable.has(n.id)).map((n) => n.id);
    if (ends.length === 1 && scope.certain.has(ends[0])) {
      this.line(`return ${ref(ends[0])}.result;`);
      return;
    }
    const withOutgoing = new Set(flow.edges.map((e) => e.source));
    const sinks = flow.nodes.filter((n) => !withOutgoing.has(n.id) && scope.g.reachable.has(n.id)).map((n) => n.id);
    this.helpers.add('flowOutput');
    this.line(`return flowOutput(ctx, ${list(ends)}, ${list(sinks)});`);
  }

  /** Writes node `id` and everything after it up to `stop`. */
  private chain(scope: Scope, id: string, stop: string, certain: boolean): void {
    if (scope.emitted.has(id)) {
      this.unstructured(scope, id);
      return;
    }
    scope.emitted.add(id);
    if (certain) scope.certain.add(id);
    const node = scope.g.nodes.get(id) as CompiledNode;
    const port = this.node(scope, node);
    this.after(scope, id, stop, certain, port);
  }

  /** Writes what follows `from` (which has just run and taken `port`) up to `stop`. */
  private after(scope: Scope, from: string, stop: string, certain: boolean, port: Port): void {
    const g = scope.g;
    const edges: FlowEdge[] =
      from === ROOT ? g.roots.map((r) => ({ source: ROOT, target: r, source_handle: 'default' })) : (g.outgoing.get(from) ?? []);
    if (edges.length === 0) return;
    const ports = from === ROOT ? ['default'] : possiblePorts(g.nodes.get(from) as CompiledNode);
    const join = g.ipdom.get(from) ?? EXIT;
    const joinAfter = join !== EXIT && join !== stop && (g.incoming.get(join) ?? []).length > 1;
    const meet = joinAfter ? join : stop;
    const guarded = joinAfter && !alwaysReaches(g, from, join);
    if (joinAfter) {
      const joinNode = g.nodes.get(join) as CompiledNode;
      const parents = new Set((g.incoming.get(join) ?? []).map((e) => e.source));
      // The set answers "was the join reached?" and "from which parents?" (its `prev`): write it only when asked.
      const set = guarded || (parents.size > 1 && this.needsUpstream(joinNode)) ? this.name(`${camel(join)}From`) : null;
      scope.joins.set(join, set);
      if (set) this.line(`const ${set} = new Set<string>();`);
    }
    const groups = ports
      .map((p) => [p, edges.filter((e) => (e.source_handle ?? 'default') === p)] as const)
      .filter(([, es]) => es.length > 0);
    const branch = (es: readonly FlowEdge[], sure: boolean) => this.branches(scope, from, es, meet, sure);
    if (ports.length === 1) branch(groups[0][1], certain);
    else if ('truthy' in port && groups.every(([p]) => p === 'true' || p === 'false')) {
      const onTrue = groups.find(([p]) => p === 'true')?.[1];
      const onFalse = groups.find(([p]) => p === 'false')?.[1];
      this.block(onTrue ? `if (${port.truthy}) {` : `if (!${port.truthy}) {`, () => branch((onTrue ?? onFalse) as FlowEdge[], false));
      if (onTrue && onFalse) this.block('} else {', () => branch(onFalse, false));
      this.line('}');
    } else {
      const value = 'literal' in port ? quote(port.literal) : 'truthy' in port ? `(${port.truthy} ? 'true' : 'false')` : port.expr;
      if (groups.length === 1) {
        this.block(`if (${value} === ${quote(groups[0][0])}) {`, () => branch(groups[0][1], false));
        this.line('}');
      } else if (groups.length === 2 && ports.length === 2) {
        this.block(`if (${value} === ${quote(groups[0][0])}) {`, () => branch(groups[0][1], false));
        this.block('} else {', () => branch(groups[1][1], false));
        this.line('}');
      } else {
        this.block(`switch (${value}) {`, () => {
          for (const [p, es] of groups) {
            this.block(`case ${quote(p)}: {`, () => {
              branch(es, false);
              this.line('break;');
            });
            this.line('}');
          }
        });
        this.line('}');
      }
    }
    if (!joinAfter) return;
    if (!guarded) {
      this.chain(scope, join, stop, certain);
    } else {
      this.block(`if (${scope.joins.get(join)}.size > 0) {`, () => this.chain(scope, join, stop, false));
      this.line('}');
    }
  }

  /** Writes the edges of one port: joins they reach are recorded, branches run (in parallel when several). */
  private branches(scope: Scope, from: string, edges: readonly FlowEdge[], meet: string, certain: boolean): void {
    const starts: string[] = [];
    for (const e of edges) {
      if (e.target === meet) {
        const set = scope.joins.get(meet);
        if (set === undefined || from === ROOT) this.unstructured(scope, e.target);
        else if (set) this.line(`${set}.add(${quote(from)});`);
      } else if ((scope.g.incoming.get(e.target) ?? []).length === 1 || from === ROOT) {
        if (!starts.includes(e.target)) starts.push(e.target);
      } else {
        this.unstructured(scope, e.target);
      }
    }
    if (starts.length === 1) {
      this.chain(scope, starts[0], meet, certain);
      return;
    }
    if (starts.length === 0) return;
    this.block('await Promise.all([', () => {
      for (const start of starts) {
        this.block('(async () => {', () => this.chain(scope, start, meet, certain));
        this.line('})(),');
      }
    });
    this.line(']);');
  }

  /** Records that the branches meeting at node `id` have no nested-block form (the export is refused). */
  private unstructured(scope: Scope, id: string): void {
    this.problems[scope.paths.get(id) ?? id] ??=
      `node ${id} joins branches that do not all start at one node: exported code writes branches as nested blocks that meet again, so this graph has no such form`;
  }
}
