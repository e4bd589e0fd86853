import type { RunFlowInput } from './flow';

/** Input of the `prepareSubFlow` system activity. */
export interface PrepareSubFlowInput {
  parent_execution_id: string;
  owner_id: string;
  /** The child flow's id. */
  workflow_id: string;
  /** Pinned version; the flow's head version when absent. */
  version?: number;
  input: unknown;
}

/**
 * Activities the interpreter itself uses (not node types). Types only: the worker implements
 * them in `activities/system.ts`.
 */
export interface SystemActivities {
  /** Loads and compiles another stored flow of the same owner and records the child execution. */
  prepareSubFlow(input: PrepareSubFlowInput): Promise<RunFlowInput>;
}
