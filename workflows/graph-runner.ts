import { CancellationScope, isCancellation, workflowInfo } from '@temporalio/workflow';
import type { CarriedState, CompiledFlow, CompiledNode, EdgeState, StepState } from '../src/shared/flow';
import { describeError } from './errors';
import { edgeTaken, graphOutput, TerminateSignal, type GraphResult, type NodeOutcome } from './graph-types';

export { edgeTaken, TerminateSignal, type GraphResult, type NodeOutcome } from './graph-types';

/** Runs one node of a graph; the interpreter supplies it (activity call or control-node logic). */
export type NodeExecutor = (node: CompiledNode, runner: GraphRunner) => Promise<NodeOutcome>;

/** Options of a {@link GraphRunner}. */
export interface GraphRunnerOptions {
  run: RunState;
  execute: NodeExecutor;
  /** Prefix of activity ids: empty at the top level, `loop:3:` inside a loop body's 4th item. */
  scopeKey: string;
  /** State to resume from: continue-as-new, or the upstream steps of a retried run. */
  carried?: CarriedState;
  /** Whether the runner may continue-as-new when Temporal suggests it (top level only). */
  allowContinueAsNew?: boolean;
}

import type { RunState } from './run-state';

const CONTROL_WAITS = new Set(['approval', 'wait-event', 'delay']);

/**
 * Executes a compiled graph with docs/flow-format.md semantics: a node runs when all its incoming edges
 * are settled and at least one was taken, otherwise it is skipped (dead-path elimination);
 * independent branches run in parallel; a failed node fails the graph unless its `on_error`
 * says `continue` or `route`.
 */
export class GraphRunner {
  readonly context: Record<string, unknown>;
  readonly steps: Record<string, StepState> = {};
  readonly vars: Record<string, unknown>;
  private readonly nodes = new Map<string, CompiledNode>();
  private readonly incoming = new Map<string, number[]>();
  private readonly outgoing = new Map<string, number[]>();
  private readonly edgeState: (EdgeState | undefined)[];
  private readonly ready: string[] = [];
  private readonly running = new Set<string>();
  private settledCount = 0;
  private stop?: GraphResult;
  private cancelled?: unknown;
  private scope?: CancellationScope;
  private done = false;
  private done_?: { resolve: (r: GraphResult) => void; reject: (e: unknown) => void };
  private resuming = false;

  constructor(
    readonly graph: CompiledFlow,
    baseContext: Record<string, unknown>,
    private readonly opts: GraphRunnerOptions,
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

  get run(): RunState {
    return this.opts.run;
  }

  /** A runner for a sub-graph (a loop body) sharing this run's state and executor. */
  child(graph: CompiledFlow, context: Record<string, unknown>, scopeKey: string): GraphRunner {
    return new GraphRunner(graph, context, { run: this.opts.run, execute: this.opts.execute, scopeKey });
  }

  /** Node ids currently executing (or waiting). */
  currentNodes(): string[] {
    return [...this.running];
  }

  /** Runs the graph to its end. Throws only on cancellation of the run. */
  async execute(): Promise<GraphResult> {
    this.scope = new CancellationScope();
    this.restore(this.opts.carried);
    for (const n of this.graph.nodes) {
      if (this.steps[n.id].status !== 'pending' || !this.isReady(n.id)) continue;
      const incoming = this.incoming.get(n.id) ?? [];
      // A resumed run may hold nodes whose inputs all settled untaken: they are skipped, not run.
      if (incoming.length === 0 || incoming.some((i) => this.edgeState[i] === 'taken')) this.ready.push(n.id);
      else this.skip(n.id);
    }
    // Nodes start inside this one scope (cancelled when the graph stops early); one scope for
    // the loop rather than one per node, since every promise in the sandbox costs a stack trace.
    return this.scope.run(
      () =>
        new Promise<GraphResult>((resolve, reject) => {
          this.done_ = { resolve, reject };
          this.pump();
        }),
    );
  }

  /**
   * Starts every node that may start, and ends the graph when nothing is left to do. Called at
   * the start and after every node settles, so nodes start in the completion callbacks rather
   * than in a loop woken by a promise per node (each promise in the sandbox costs a stack trace).
   */
  private pump(): void {
    while (!this.done) {
      if (this.cancelled) return this.finish(undefined, this.cancelled);
      if (this.stop) {
        if (this.running.size) (this.scope as CancellationScope).cancel();
        return this.finish(this.stop);
      }
      if (this.settledCount === this.graph.nodes.length) return this.finish({ kind: 'completed', output: this.graphOutput() });
      if (this.ready.length && this.shouldContinueAsNew()) {
        // Drain running activities, then hand the settled state to a fresh run.
        if (this.running.size === 0) return this.finish({ kind: 'continue-as-new', carried: this.carriedState() });
        return;
      }
      if (this.ready.length) {
        if (this.run.paused) return this.resumeLater();
        this.start(this.ready.shift() as string);
        continue;
      }
      if (this.running.size === 0) {
        // Nothing ready and nothing running: the remaining nodes are unreachable from this state.
        for (const n of this.graph.nodes) if (this.steps[n.id].status === 'pending') this.skip(n.id);
        return this.finish({ kind: 'completed', output: this.graphOutput() });
      }
      return;
    }
  }

  private resumeLater(): void {
    if (this.resuming) return;
    this.resuming = true;
    this.run.whenRunning().then(
      () => {
        this.resuming = false;
        this.pump();
      },
      (err) => {
        this.resuming = false;
        this.cancelled ??= err;
        this.pump();
      },
    );
  }

  private finish(result?: GraphResult, error?: unknown): void {
    if (this.done) return;
    const done = this.done_ as { resolve: (r: GraphResult) => void; reject: (e: unknown) => void };
    this.done = true;
    if (error !== undefined) done.reject(error);
    else done.resolve(result as GraphResult);
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

  private shouldContinueAsNew(): boolean {
    if (!this.opts.allowContinueAsNew || !workflowInfo().continueAsNewSuggested) return false;
    // Waiting nodes (approvals, events, timers) cannot be drained; keep going until they settle.
    for (const id of this.running) if (CONTROL_WAITS.has(this.nodes.get(id)?.type ?? '')) return false;
    return true;
  }

  private restore(carried?: CarriedState): void {
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

  private isReady(nodeId: string): boolean {
    return (this.incoming.get(nodeId) ?? []).every((i) => this.edgeState[i] !== undefined);
  }

  private start(nodeId: string): void {
    const node = this.nodes.get(nodeId) as CompiledNode;
    const step = this.steps[nodeId];
    this.running.add(nodeId);
    step.status = CONTROL_WAITS.has(node.type) ? 'waiting' : 'running';
    step.started_at = new Date().toISOString();
    this.run.nodeStarted(step, this.opts.scopeKey);
    let started: Promise<NodeOutcome>;
    try {
      started = this.opts.execute(node, this);
    } catch (err) {
      started = Promise.reject(err);
    }
    const settle = () => {
      this.running.delete(nodeId);
      this.pump();
    };
    started.then(
      (outcome) => {
        this.complete(node, outcome);
        settle();
      },
      (err) => {
        this.fail(node, err);
        settle();
      },
    );
  }

  private complete(node: CompiledNode, outcome: NodeOutcome): void {
    if (this.stop) return;
    const step = this.steps[node.id];
    this.finishStep(step, outcome.started_at, outcome.finished_at);
    step.status = 'completed';
    step.attempt = outcome.attempt ?? 1;
    if (outcome.input !== undefined) step.input = outcome.input;
    const port = outcome.port ?? 'default';
    step.output = outcome.output;
    step.port = port;
    step.error = null;
    this.context[node.id] = outcome.output;
    this.settledCount++;
    this.run.nodeSettled('node_completed', step, this.opts.scopeKey);
    this.settleEdges(node.id, port, true);
  }

  private fail(node: CompiledNode, err: unknown): void {
    if (err instanceof TerminateSignal) {
      const step = this.steps[node.id];
      this.finishStep(step);
      step.status = 'completed';
      step.output = { result: { status: err.status, message: err.message ?? null } };
      this.settledCount++;
      this.run.nodeSettled('node_completed', step, this.opts.scopeKey);
      this.stop = {
        kind: 'terminated',
        status: err.status,
        message: err.message,
        nodeId: node.id,
        output: err.message ?? null,
      };
      return;
    }
    if (this.stop) return;
    if (isCancellation(err)) {
      this.cancelled = err;
      return;
    }
    const error = describeError(err);
    const step = this.steps[node.id];
    this.finishStep(step);
    step.status = 'failed';
    step.error = error;
    const attempt = (error.details as { attempt?: number } | undefined)?.attempt;
    if (typeof attempt === 'number') step.attempt = attempt;
    else step.attempt = Math.max(step.attempt, 1);
    const onError = node.on_error ?? 'fail';
    if (onError === 'fail') {
      this.settledCount++;
      this.run.nodeSettled('node_failed', step, this.opts.scopeKey);
      this.stop = { kind: 'failed', nodeId: node.id, error };
      return;
    }
    step.output = { result: null, error };
    this.context[node.id] = step.output;
    this.settledCount++;
    this.run.nodeSettled('node_failed', step, this.opts.scopeKey);
    this.settleEdges(node.id, onError === 'route' ? 'error' : 'default', true);
  }

  private finishStep(step: StepState, startedAt?: string, finishedAt?: string): void {
    if (startedAt) step.started_at = startedAt;
    step.finished_at = finishedAt ?? new Date().toISOString();
    if (step.started_at) step.duration_ms = Date.parse(step.finished_at) - Date.parse(step.started_at);
  }

  private skip(nodeId: string): void {
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
  private settleEdges(startId: string, startPort: string | undefined, propagate: boolean): void {
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


  private graphOutput(): unknown {
    return graphOutput(this.graph, this.steps, this.context, (id) => (this.outgoing.get(id) ?? []).length > 0);
  }
}

