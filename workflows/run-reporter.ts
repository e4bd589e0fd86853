import { proxySinks, workflowInfo } from '@temporalio/workflow';
import type { ExecutionStatus, StepState } from '../src/shared/flow';
import {
  MAX_TRANSITION_OUTPUT,
  type FlowSinks,
  type LoopBatchTag,
  type RunTransition,
  type TransitionType,
} from '../src/shared/run-transitions';

const { runIndex } = proxySinks<FlowSinks>();

/**
 * What this run reported during the current activation. The SDK copies every sink call out of the
 * workflow thread with the run's whole `workflowInfo`, so transitions go out together, in one call
 * when the activation concludes (workflows/report-interceptor.ts): a light node reports two
 * (the previous node's completion and its own start) in the same activation.
 */
let pending: RunTransition[] = [];

/** Sends what this run reported during the current activation (called as the activation concludes). */
export function flushReports(): void {
  if (pending.length === 0) return;
  runIndex.record(pending);
  pending = [];
}

/**
 * Reports a run's transitions to the run index and the live event log through the `runIndex`
 * sink. The sequence number advances on replay too (the sink is not called then), so each
 * transition keeps its key whichever worker reports it.
 */
export class RunReporter {
  private seq = 0;

  /** `knowsStatus`: false in loop batches, whose state is not the run's; `batch`: which batch this is. */
  constructor(
    private readonly executionId: string,
    private readonly knowsStatus = true,
    private readonly enabled = true,
    private readonly batch?: LoopBatchTag,
  ) {}

  /** Reports one transition; `status` is the run's status after it. */
  report(type: TransitionType, status: ExecutionStatus, extra: Partial<RunTransition> = {}): void {
    const seq = ++this.seq;
    if (!this.enabled) return;
    pending.push({
      execution_id: this.executionId,
      run_id: workflowInfo().runId,
      seq,
      type,
      at: new Date().toISOString(),
      ...(this.knowsStatus ? { status } : {}),
      ...extra,
    });
  }

  /** Reports a node transition with a copy of its step (without a large output or input). */
  step(type: TransitionType, status: ExecutionStatus, step: StepState, scope: string, extra: Partial<RunTransition> = {}): void {
    const { input: _input, output, ...rest } = step;
    const view: RunTransition['step'] = { ...rest, ...(scope ? { scope } : {}), ...(this.batch ? { batch: this.batch } : {}) };
    if (output !== undefined && fitsIn(output, MAX_TRANSITION_OUTPUT)) view.output = output;
    this.report(type, status, { step: view, ...extra });
  }
}

/** Whether `value` is at most about `budget` characters of JSON (stops counting past it). */
export function fitsIn(value: unknown, budget: number): boolean {
  let left = budget;
  const walk = (v: unknown): boolean => {
    if (typeof v === 'string') left -= v.length + 2;
    else if (v === null || typeof v !== 'object') left -= 8;
    else if (Array.isArray(v)) {
      left -= 2;
      for (const item of v) if (!walk(item) || left < 0) return false;
    } else {
      left -= 2;
      for (const key of Object.keys(v)) {
        left -= key.length + 3;
        if (!walk((v as Record<string, unknown>)[key]) || left < 0) return false;
      }
    }
    return left >= 0;
  };
  return walk(value);
}
