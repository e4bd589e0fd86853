import {
  condition,
  defineSignal,
  patched,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  type ChildWorkflowHandle,
  type Workflow,
} from '@temporalio/workflow';
import { RUN_FLOW, type Approver, type ExecutionStatus, type RunFlowInput, type StepState, type WaitInfo } from '../src/shared/flow';
import type { LoopBatchTag, TransitionType } from '../src/shared/run-transitions';
import type { SystemActivities } from '../src/shared/system-activities';
import { RunReporter } from './run-reporter';

/**
 * Control nodes that may run back to back inside one workflow activation before the interpreter
 * yields with a 1 ms timer. Thousands of promise continuations in a single activation overflow
 * Node's async-hook stack in the workflow sandbox ("async hook stack has become corrupted",
 * sdk-typescript#939) and kill the worker thread; a 1,000-transform chain did.
 */
export const MAX_SYNC_STEPS = 64;

/**
 * Inline expression work (JSONata steps, plus a quarter step per value copied into the sandbox)
 * after which the interpreter ends the activation before the next control node, so one workflow
 * task never runs long however many inline expressions follow each other.
 */
export const YIELD_AFTER_INLINE_WORK = 20_000;

/**
 * The interpreter yields with a no-op local activity instead of a 1 ms timer: a timer's delay is
 * rounded up by the server's timer queue (~1 s by default), a local activity returns at once.
 */
export const YIELD_PATCH = 'yield-by-local-activity';

const { yieldActivation } = proxyLocalActivities<SystemActivities>({
  startToCloseTimeout: '5s',
  retry: { maximumAttempts: 5, initialInterval: '50ms' },
  summary: 'yield',
});

/**
 * Pause and resume reach the child workflows a run is waiting on (sub-flows, loop batches).
 * Before this patch a paused run's children ran on; see docs/engine.md, the patch table.
 */
export const FORWARD_PAUSE_PATCH = 'forward-pause-to-children';

export const pauseSignal = defineSignal(RUN_FLOW.pauseSignal);
export const resumeSignal = defineSignal(RUN_FLOW.resumeSignal);

export type { Approver, WaitInfo } from '../src/shared/flow';

/** Argument of the `approve` update. */
export interface ApprovalRequest {
  node_id: string;
  decision: 'approve' | 'reject';
  comment?: string;
  user: Approver;
}

/** What an approval node returns as its `result`. */
export interface ApprovalDecision {
  decision: 'approved' | 'rejected' | 'timeout';
  comment: string | null;
  decided_by: string | null;
  decided_at: string;
}

interface PendingApproval {
  approvers: string[];
  decision?: ApprovalDecision;
}

/** A map that reports its contents through `onChange` whenever an entry is added or removed. */
class WaitMap extends Map<string, WaitInfo> {
  constructor(private readonly onChange: (waits: Iterable<WaitInfo>) => void) {
    super();
  }
  override set(key: string, value: WaitInfo): this {
    super.set(key, value);
    this.onChange?.(this.values());
    return this;
  }
  override delete(key: string): boolean {
    const had = super.delete(key);
    if (had) this.onChange(this.values());
    return had;
  }
}

/** The run's current details in the Temporal Web UI: what it waits for, one line per wait. */
function describeWaits(waits: Iterable<WaitInfo>): void {
  const lines = [...waits].map((w) => {
    if (w.kind === 'approval') return `waiting for approval: ${w.name ?? w.node_id}`;
    if (w.kind === 'event') return `waiting for event: ${w.name ?? w.node_id}`;
    return `waiting until ${w.until ?? '?'} (${w.node_id})`;
  });
  setCurrentDetails(lines.join('\n'));
}

/** An external event delivered by signal. */
export interface RunEvent {
  name: string;
  data: unknown;
}

/**
 * Run-wide state shared by every graph runner of one `runFlow` execution (top level and loop
 * bodies): pause flag, approvals and events that handlers deliver, what nodes wait for.
 */
export class RunState {
  paused = false;
  /** What nodes wait for, by scope key; the Web UI shows it as the run's current details. */
  readonly waiting: Map<string, WaitInfo> = new WaitMap(describeWaits);
  readonly approvals = new Map<string, PendingApproval>();
  /** Reports transitions to the run index and the live event log. */
  readonly reporter: RunReporter;
  /** Nodes started and not settled, in every scope. */
  private active = 0;
  private readonly events: RunEvent[] = [];
  private readonly children = new Set<ChildWorkflowHandle<Workflow>>();
  private syncSteps = 0;
  private inlineWork = 0;

  /**
   * `options.batch`: the state of a loop batch child, which reports nodes (tagged with the batch)
   * but not the run's status.
   */
  constructor(
    readonly input: RunFlowInput,
    options: { batch?: LoopBatchTag } = {},
  ) {
    // A node test (`POST /nodes/test`) is no run of a flow: it reports nothing.
    this.reporter = new RunReporter(input.execution_id, !options.batch, input.trigger.type !== 'test', options.batch);
  }

  /** Makes the `pause` and `resume` signals pause and resume this run (and its children). */
  handlePauseSignals(): void {
    setHandler(pauseSignal, () => {
      const was = this.paused;
      this.paused = true;
      this.forward(RUN_FLOW.pauseSignal);
      if (!was) this.reporter.report('execution_paused', 'paused');
    });
    setHandler(resumeSignal, () => {
      const was = this.paused;
      this.paused = false;
      this.forward(RUN_FLOW.resumeSignal);
      if (was) this.reporter.report('execution_resumed', this.status());
    });
  }

  /** The run's status as the index shows it: paused, waiting (every running node waits) or running. */
  status(): ExecutionStatus {
    if (this.paused) return 'paused';
    return this.active > 0 && this.waiting.size >= this.active ? 'waiting' : 'running';
  }

  /** A node of some scope started (`scope`: its graph's activity-id prefix). */
  nodeStarted(step: StepState, scope: string): void {
    this.active++;
    // A node that only waits (approval, event, timer) is reported once it waits: node_waiting.
    if (step.status !== 'waiting') this.reporter.step('node_started', this.status(), step, scope);
  }

  /** A started node settled; `type` says how. */
  nodeSettled(type: TransitionType, step: StepState, scope: string): void {
    this.active = Math.max(0, this.active - 1);
    this.reporter.step(type, this.status(), step, scope);
  }

  /** A node that never started was skipped. */
  nodeSkipped(step: StepState, scope: string): void {
    this.reporter.step('node_skipped', this.status(), step, scope);
  }

  /** A node begins to wait (approval, event, timer); reported as `node_waiting`. */
  startWaiting(key: string, info: WaitInfo, step: StepState | undefined, scope: string): void {
    this.waiting.set(key, info);
    if (step) this.reporter.step('node_waiting', this.status(), step, scope, { waiting_for: info });
  }

  /**
   * Waits for a started child workflow's result. While it runs, this run's pause and resume are
   * passed on to it, and a child started while this run is paused is paused at once.
   */
  async childResult<R>(child: ChildWorkflowHandle<Workflow>): Promise<R> {
    this.children.add(child);
    try {
      if (this.paused) this.forward(RUN_FLOW.pauseSignal, [child]);
      return (await child.result()) as R;
    } finally {
      this.children.delete(child);
    }
  }

  /** Signals `children` (default: every running child). A child that has ended meanwhile is skipped. */
  private forward(signal: string, children: Iterable<ChildWorkflowHandle<Workflow>> = this.children): void {
    const targets = [...children];
    // patched() only where a signal would be sent, so histories without children replay as before.
    if (targets.length === 0 || !patched(FORWARD_PAUSE_PATCH)) return;
    for (const child of targets) void child.signal(signal).catch(() => undefined);
  }

  /** Resolves when the run is not paused; new nodes start only through here. */
  async whenRunning(): Promise<void> {
    if (this.paused) await condition(() => !this.paused);
  }

  /**
   * Counts a node run in workflow code; every {@link MAX_SYNC_STEPS} of them, returns a 1 ms timer
   * to await so the activation ends. Synchronous otherwise: every promise in the workflow sandbox
   * costs a captured stack trace.
   */
  pace(): Promise<void> | undefined {
    // Only runs compiled with evaluation placement charge inline work, so older runs never get here.
    if (this.inlineWork >= YIELD_AFTER_INLINE_WORK && patched(YIELD_PATCH)) return this.yield();
    if (++this.syncSteps < MAX_SYNC_STEPS) return undefined;
    this.syncSteps = 0;
    return patched(YIELD_PATCH) ? this.yield() : sleep(1);
  }

  private yield(): Promise<void> {
    this.syncSteps = 0;
    this.inlineWork = 0;
    return yieldActivation().then(() => undefined);
  }

  /** Before an activity node: ends the activation first when inline work has piled up. */
  yieldIfBusy(): Promise<void> | undefined {
    if (this.inlineWork >= YIELD_AFTER_INLINE_WORK && patched(YIELD_PATCH)) return this.yield();
    return undefined;
  }

  /** Counts inline expression work done in workflow code (see {@link YIELD_AFTER_INLINE_WORK}). */
  chargeInline(work: number): void {
    this.inlineWork += work;
  }

  /** An activity is about to be awaited: the activation will end there anyway. */
  activityRan(): void {
    this.syncSteps = 0;
  }

  /** Delivers an external event; it is kept until a `wait-event` node consumes it. */
  deliverEvent(event: RunEvent): void {
    this.events.push(event);
  }

  /** Waits for an event named `name`, consuming it; `undefined` on timeout. */
  async takeEvent(name: string, timeoutMs?: number): Promise<RunEvent | undefined> {
    const has = () => this.events.some((e) => e.name === name);
    if (timeoutMs === undefined) await condition(has);
    else if (!(await condition(has, timeoutMs))) return undefined;
    const i = this.events.findIndex((e) => e.name === name);
    return this.events.splice(i, 1)[0];
  }

  /** Throws when `req` may not decide now: wrong node, decided already, or not an allowed approver. */
  validateApproval(req: ApprovalRequest): void {
    const pending = this.approvals.get(req.node_id);
    if (!pending || pending.decision) {
      throw Object.assign(new Error(`node ${req.node_id} is not waiting for an approval`), { code: 'not_waiting' });
    }
    if (req.decision !== 'approve' && req.decision !== 'reject') {
      throw Object.assign(new Error('decision must be approve or reject'), { code: 'bad_request' });
    }
    const allowed =
      pending.approvers.length === 0 ||
      req.user.role === 'admin' ||
      pending.approvers.includes(req.user.username) ||
      pending.approvers.includes(req.user.id);
    if (!allowed) {
      throw Object.assign(new Error(`${req.user.username} is not an approver of node ${req.node_id}`), {
        code: 'not_allowed',
      });
    }
  }

  /** Records a validated decision; the waiting approval node picks it up. */
  decide(req: ApprovalRequest, decidedAt: string): ApprovalDecision {
    const pending = this.approvals.get(req.node_id);
    if (!pending) throw new Error(`node ${req.node_id} is not waiting for an approval`);
    pending.decision = {
      decision: req.decision === 'approve' ? 'approved' : 'rejected',
      comment: req.comment ?? null,
      decided_by: req.user.username,
      decided_at: decidedAt,
    };
    return pending.decision;
  }
}
