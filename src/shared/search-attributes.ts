import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { RunFlowInput } from './flow';

/** The custom search attributes of docs/engine.md, so runs can be filtered in the Web UI. */
export const SA = {
  FlowId: defineSearchAttributeKey('FlowId', SearchAttributeType.KEYWORD),
  FlowVersion: defineSearchAttributeKey('FlowVersion', SearchAttributeType.INT),
  OwnerId: defineSearchAttributeKey('OwnerId', SearchAttributeType.KEYWORD),
  TriggerType: defineSearchAttributeKey('TriggerType', SearchAttributeType.KEYWORD),
};

/** Search attributes of a run. */
export function searchAttributesFor(input: RunFlowInput): SearchAttributePair[] {
  return [
    { key: SA.FlowId, value: input.flow_id },
    { key: SA.FlowVersion, value: input.flow_version },
    { key: SA.OwnerId, value: input.owner_id },
    { key: SA.TriggerType, value: String(input.trigger.type) },
  ];
}
