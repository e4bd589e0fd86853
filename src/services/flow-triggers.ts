import type { ValidationIssue } from '../nodes/validation-issue';
import type { FlowGraph } from '../shared/flow';
import type { FlowRow, FlowTrigger } from '../storage';

/**
 * What makes a flow's trigger live (a Temporal Schedule for `cron`, the hook credentials for
 * `webhook`…). The flow service calls every registered handler when a flow is validated, saved or
 * deleted, so a trigger type is one handler and one line where the platform is wired.
 */
export interface FlowTriggerHandler {
  /**
   * Problems of `trigger` as `{path: message}` with paths from the flow's root
   * (`trigger.schedule`), checked when a flow is saved (422) and by `/workflows/validate`.
   */
  check?(trigger: FlowTrigger): Record<string, string> | undefined;
  /**
   * After a flow was created or changed (any field, a new version, a rollback, an import):
   * bring what its trigger needs in line with `flow` (`previous`: the flow before, when it
   * existed). Must not fail because a dependency is down: repair later instead (at start-up).
   * What it returns is added to the response once (a webhook's new token).
   */
  saved?(flow: FlowRow, previous: FlowRow | undefined): Promise<Record<string, unknown> | void>;
  /** After a flow was deleted. The same rule on failures as {@link saved}. */
  deleted?(flow: FlowRow): Promise<void>;
}

/**
 * A flow as a save returns it: the stored row, plus what a trigger shows only once and warnings
 * about credentials its nodes name that do not exist or do not fit (docs/credentials.md).
 */
export type SavedFlow = FlowRow & { revealed?: Record<string, unknown>; warnings?: ValidationIssue[] };

/**
 * A check of a flow's graph that needs its owner's resources (the tools a `tool-call` node names):
 * problems as `{path: message}` with paths from the flow's root (`nodes[0].data.tool`), refused
 * with 422 when a flow is saved and reported as errors by `/workflows/validate`.
 */
export type FlowGraphCheck = (ownerId: string, graph: FlowGraph) => Promise<Record<string, string> | undefined>;

/** Every handler as one. */
export function combineTriggerHandlers(handlers: readonly FlowTriggerHandler[]) {
  return {
    check(trigger: FlowTrigger): Record<string, string> | undefined {
      const problems: Record<string, string> = {};
      for (const h of handlers) Object.assign(problems, h.check?.(trigger) ?? {});
      return Object.keys(problems).length ? problems : undefined;
    },
    async saved(flow: FlowRow, previous: FlowRow | undefined): Promise<SavedFlow> {
      const revealed: Record<string, unknown> = {};
      for (const h of handlers) Object.assign(revealed, (await h.saved?.(flow, previous)) ?? {});
      return Object.keys(revealed).length ? Object.assign(flow, { revealed }) : flow;
    },
    async deleted(flow: FlowRow): Promise<void> {
      for (const h of handlers) await h.deleted?.(flow);
    },
  };
}
