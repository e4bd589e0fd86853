import type { Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { RUN_FLOW, type RunFlowInput } from '../shared/flow';
import { searchAttributesFor } from '../shared/search-attributes';

/** What starting one run on Temporal takes (the same wherever it is started from). */
export interface RunStart {
  workflowId: string;
  input: RunFlowInput;
  /** The Web UI's summary of the run (`<flow name> v<version>`). */
  summary: string;
}

/** What a start did: the run's first run id, and whether Temporal handed its first task straight back (eager start). */
export interface RunStarted {
  runId: string;
  eager: boolean;
}

/** Starts a run. Throws `WorkflowExecutionAlreadyStartedError` for a workflow id already used. */
export type RunStarter = (start: RunStart) => Promise<RunStarted>;

/**
 * A starter over `client`. With `eager`, the client must share its `NativeConnection` with a
 * worker of `taskQueue` in this process: Temporal then hands the run's first workflow task back
 * with the start call, to that worker, instead of through the task queue (eager workflow start).
 */
export function clientStarter(client: Client, taskQueue: string, options: { eager?: boolean } = {}): RunStarter {
  return async ({ workflowId, input, summary }) => {
    const handle = await client.workflow.start(RUN_FLOW.workflow, {
      taskQueue,
      workflowId,
      args: [input],
      typedSearchAttributes: searchAttributesFor(input),
      staticSummary: summary,
      memo: { execution_id: input.execution_id },
      // A run whose start was retried (the reconciler) must never run twice, even if it already ended.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      requestEagerStart: options.eager === true,
    });
    return { runId: handle.firstExecutionRunId, eager: handle.eagerlyStarted === true };
  };
}
