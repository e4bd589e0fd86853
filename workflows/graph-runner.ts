import { CancellationScope, isCancellation, workflowInfo } from '@temporalio/workflow';
import type { CompiledFlow, CompiledNode } from '../src/shared/flow';
import { describeError } from './errors';
import { GraphState, type GraphStateOptions } from './graph-state';
import { TerminateSignal, type GraphResult, type NodeOutcome } from './graph-types';

export { edgeTaken, TerminateSignal, type GraphResult, type NodeOutcome } from './graph-types';

/** Runs one node of a graph; the interpreter supplies it (activity call or control-node logic). */
export type NodeExecutor = (node: CompiledNode, runner: GraphRunner) => Promise<NodeOutcome>;

/** Options of a {@link GraphRunner}. */
export interface GraphRunnerOptions extends GraphStateOptions {
  execute: NodeExecutor;
  /** Whether the runner may continue-as-new when Temporal suggests it (top level only). */
  allowContinueAsNew?: boolean;
}

const CONTROL_WAITS = new Set(['approval', 'wait-event', 'delay']);

/**
 * Executes a compiled graph with docs/flow-format.md semantics: a node runs when all its incoming edges
 * are settled and at least one was taken, otherwise it is skipped (dead-path elimination);
 * independent branches run in parallel; a failed node fails the graph unless its `on_error`
 * says `continue` or `route`.
 */
export class GraphRunner extends GraphState<GraphRunnerOptions> {
  private readonly running = new Set<string>();
  private stop?: GraphResult;
  private cancelled?: unknown;
  private scope?: CancellationScope;
  private done = false;
  private done_?: { resolve: (r: GraphResult) => void; reject: (e: unknown) => void };
  private resuming = false;

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


  private shouldContinueAsNew(): boolean {
    if (!this.opts.allowContinueAsNew || !workflowInfo().continueAsNewSuggested) return false;
    // Waiting nodes (approvals, events, timers) cannot be drained; keep going until they settle.
    for (const id of this.running) if (CONTROL_WAITS.has(this.nodes.get(id)?.type ?? '')) return false;
    return true;
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

}
