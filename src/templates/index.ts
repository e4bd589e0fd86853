import { approvalGatedChange } from './approval-gated-change';
import { deviceInspection } from './device-inspection';
import { httpFanOut } from './http-fan-out';
import { loopWithCode } from './loop-with-code';
import { retryWithFallback } from './retry-with-fallback';
import type { FlowTemplate } from './template';
import { textProcessing } from './text-processing';

export type { FlowTemplate } from './template';

/** Every built-in template, in catalogue order: one file per template, one line here. */
const TEMPLATES: readonly FlowTemplate[] = [
  approvalGatedChange,
  httpFanOut,
  textProcessing,
  deviceInspection,
  loopWithCode,
  retryWithFallback,
];

const byId = new Map(TEMPLATES.map((t) => [t.id, t]));

/** All templates (copies: callers may change them freely). */
export function listTemplates(): FlowTemplate[] {
  return TEMPLATES.map((t) => structuredClone(t));
}

/** A copy of one template, or undefined for an unknown id. */
export function getTemplate(id: string): FlowTemplate | undefined {
  const t = byId.get(id);
  return t && structuredClone(t);
}
