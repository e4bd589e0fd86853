import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { uuid4, workflowInfo } from '@temporalio/workflow';
import type { RunFlowInput } from '../src/shared/flow';

/** Set by Temporal on runs a Schedule started: when the run was due, and by which schedule. */
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);
const SCHEDULED_BY = defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD);

/**
 * The run's input with what only the run itself can know: a run started by something other than
 * the API (a Temporal Schedule, whose action always starts the same input) has no execution id
 * yet and gets one here (`uuid4()` is deterministic in workflow code, so a replay gets the same);
 * a scheduled run's trigger gets `scheduled_at` and `schedule_id`.
 */
export function resolveRunInput(input: RunFlowInput): RunFlowInput {
  if (input.execution_id) return input;
  const attributes = workflowInfo().typedSearchAttributes;
  const trigger =
    input.trigger.type === 'schedule'
      ? {
          ...input.trigger,
          scheduled_at: attributes.get(SCHEDULED_START)?.toISOString() ?? new Date().toISOString(),
          schedule_id: attributes.get(SCHEDULED_BY) ?? input.trigger.schedule_id ?? null,
        }
      : input.trigger;
  return { ...input, execution_id: uuid4(), trigger };
}
