/**
 * Registered in the interpreter's bundle (`workflowInterceptorModules`, src/worker/workflow-bundle.ts):
 * as each workflow activation concludes, the transitions the run reported during it leave in one
 * sink call (workflows/run-reporter.ts).
 */
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { flushReports } from './run-reporter';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  internals: [
    {
      concludeActivation(input, next) {
        flushReports();
        return next(input);
      },
    },
  ],
});
