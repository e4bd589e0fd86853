import type { Worker } from '@temporalio/worker';
import type { WorkerSlots } from '../services/metrics';

/** What a worker's status says of its slots in use. */
export function slotsOf(status: ReturnType<Worker['getStatus']>): WorkerSlots {
  return {
    workflow_activations: status.numInFlightWorkflowActivations,
    activities: status.numInFlightNonLocalActivities,
    local_activities: status.numInFlightLocalActivities,
    cached_workflows: status.numCachedWorkflows,
  };
}
