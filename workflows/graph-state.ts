import type { CarriedState, CompiledFlow, CompiledNode, EdgeState, StepState } from '../src/shared/flow';
import { edgeTaken, graphOutput } from './graph-types';
import type { RunState } from './run-state';

/** What a {@link GraphState} needs from its runner's options. */
export interface GraphStateOptions {
  run: RunState;
  /** Prefix of activity ids: empty at the top level, `loop:3:` inside a loop body's 4th item. */
  scopeKey: string;
  /** State to resume from: continue-as-new, or the upstream steps of a retried run. */
  carried?: CarriedState;
}

/**
 * The state of one graph's run and how it moves: node steps, the run context and vars, edges taken
 * or skipped, the nodes ready to start, and what upstream nodes hand a node. {@link GraphRunner}
 * (graph-runner.ts) schedules the nodes over it.
 */
export class GraphState<O extends GraphStateOptions = GraphStateOptions> {
  readonly context: Record<string, unknown>;
  readonly steps: Record<string, StepState> = {};
  readonly vars: Record<string, unknown>;
  protected readonly nodes = new Map<string, CompiledNode>();
  protected readonly incoming = new Map<string, number[]>();
  private readonly outgoing = new Map<string, number[]>();
  protected readonly edgeState: (EdgeState | undefined)[];
  protected readonly ready: string[] = [];
  protected settledCount = 0;

  constructor(
    readonly graph: CompiledFlow,
    baseContext: Record<string, unknown>,
    protected readonly opts: O,
  ) {
    this.vars = { ...((baseContext.vars as Record<string, unknown>) ?? {}), ...(opts.carried?.vars ?? {}) };
    this.context = { ...baseContext, vars: this.vars };
    for (const n of graph.nodes) {
      this.nodes.set(n.id, n);
      this.incoming.set(n.id, []);
      this.outgoing.set(n.id, []);
      this.steps[n.id] = { node_id: n.id, node_type: n.type, label: n.label, status: 'pending', attempt: 0 };
    }
    graph.edges.forEach((e, i) => {
      this.outgoing.get(e.source)?.push(i);
      this.incoming.get(e.target)?.push(i);
    });
    this.edgeState = graph.edges.map(() => undefined);
  }

  /** The run's `{{ execution.* }}` ids and where activity ids start. */
  get scopeKey(): string {
    return this.opts.scopeKey;
  }

  /** The run's state, shared by the runners of its loop bodies. */
  get run(): RunState {
    return this.opts.run;
  }

  /** What a node sees as its `input`: its parent's output, or `{parent: output}` for several parents. */
  upstreamInput(nodeId: string): unknown {
    const upstream = this.upstreamOutput(nodeId);
    return upstream === undefined ? this.context.input : upstream;
  }

  /** Ids of the nodes whose edge into `nodeId` was taken, each once, in edge order. */
  takenParents(nodeId: string): string[] {
    const ids: string[] = [];
    for (const i of this.incoming.get(nodeId) ?? []) {
      const src = this.graph.edges[i].source;
      if (this.edgeState[i] === 'taken' && !ids.includes(src)) ids.push(src);
    }
    return ids;
  }

  /** A node's `prev`: its parent's output, `{parent: output}` for several, undefined for none. */
  upstreamOutput(nodeId: string): unknown {
    const parents = new Map<string, unknown>();
    for (const i of this.incoming.get(nodeId) ?? []) {
      if (this.edgeState[i] === 'taken') {
        const src = this.graph.edges[i].source;
        parents.set(src, this.context[src]);
      }
    }
    if (parents.size === 0) return undefined;
    if (parents.size === 1) return [...parents.values()][0];
    return Object.fromEntries(parents);
  }

  /** State to hand to a continued run (only settled nodes; nothing may be running). */
  carriedState(): CarriedState {
    const edge_state: Record<string, EdgeState> = {};
    this.edgeState.forEach((s, i) => {
      if (s) edge_state[String(i)] = s;
    });
    const steps: Record<string, StepState> = {};
    for (const [id, s] of Object.entries(this.steps)) if (s.status !== 'pending') steps[id] = s;
    return { steps, vars: { ...this.vars }, edge_state };
  }

  protected restore(carried?: CarriedState): void {
    if (!carried) return;
    for (const [i, s] of Object.entries(carried.edge_state ?? {})) {
      if (this.edgeState[Number(i)] === undefined && Number(i) < this.edgeState.length) this.edgeState[Number(i)] = s;
    }
    for (const [id, s] of Object.entries(carried.steps ?? {})) {
      if (!this.nodes.has(id)) continue;
      if (s.status === 'completed' || s.status === 'skipped' || s.status === 'failed') {
        this.steps[id] = s;
        if (s.status === 'completed' || s.status === 'failed') this.context[id] = s.output;
        this.settledCount++;
      }
    }
    // A retried run carries the steps but not the edges: derive them in topological order.
    if (!carried.edge_state || Object.keys(carried.edge_state).length === 0) {
      for (const n of this.graph.nodes) {
        const s = this.steps[n.id];
        if (s.status === 'completed' || s.status === 'failed') this.settleEdges(n.id, s.port ?? 'default', false);
        else if (s.status === 'skipped') this.settleEdges(n.id, undefined, false);
      }
    }
  }

  protected isReady(nodeId: string): boolean {
    return (this.incoming.get(nodeId) ?? []).every((i) => this.edgeState[i] !== undefined);
  }

  protected finishStep(step: StepState, startedAt?: string, finishedAt?: string): void {
    if (startedAt) step.started_at = startedAt;
    step.finished_at = finishedAt ?? new Date().toISOString();
    if (step.started_at) step.duration_ms = Date.parse(step.finished_at) - Date.parse(step.started_at);
  }

  protected skip(nodeId: string): void {
    const step = this.steps[nodeId];
    step.status = 'skipped';
    this.settledCount++;
    this.run.nodeSkipped(step, this.opts.scopeKey);
    this.settleEdges(nodeId, undefined, true);
  }

  /**
   * Marks a settled node's outgoing edges taken or skipped and queues (or skips) the targets
   * that became ready. `port` undefined: the node was skipped, so every outgoing edge is.
   * Iterative so a long skipped chain cannot overflow the stack.
   */
  protected settleEdges(startId: string, startPort: string | undefined, propagate: boolean): void {
    const work: [string, string | undefined][] = [[startId, startPort]];
    while (work.length) {
      const [nodeId, port] = work.pop() as [string, string | undefined];
      const node = this.nodes.get(nodeId) as CompiledNode;
      for (const i of this.outgoing.get(nodeId) ?? []) {
        const edge = this.graph.edges[i];
        this.edgeState[i] = port !== undefined && edgeTaken(edge, port, node) ? 'taken' : 'skipped';
        if (!propagate) continue;
        const target = edge.target;
        if (this.steps[target].status !== 'pending' || !this.isReady(target)) continue;
        const anyTaken = (this.incoming.get(target) ?? []).some((j) => this.edgeState[j] === 'taken');
        if (anyTaken) {
          if (!this.ready.includes(target)) this.ready.push(target);
        } else {
          this.steps[target].status = 'skipped';
          this.settledCount++;
          this.run.nodeSkipped(this.steps[target], this.opts.scopeKey);
          work.push([target, undefined]);
        }
      }
    }
  }

  protected graphOutput(): unknown {
    return graphOutput(this.graph, this.steps, this.context, (id) => (this.outgoing.get(id) ?? []).length > 0);
  }
}
