import type { FlowEdge, FlowNode } from '../shared/flow';
import type { FlowTrigger } from '../storage';

/** A built-in flow template: a ready-to-create flow plus what a user needs to run it. */
export interface FlowTemplate {
  /** Stable kebab-case id used in `/workflows/templates/{id}`. */
  id: string;
  name: string;
  description: string;
  category: 'approvals' | 'integration' | 'data' | 'monitoring' | 'reliability';
  tags: string[];
  /** `input_data` that a first run can use as it is (with its URLs pointed at real endpoints). */
  example_input: Record<string, unknown>;
  trigger: FlowTrigger;
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** The start node of a template whose input is a few required, non-empty strings (URLs, text). */
export function startRequiring(fields: string[], label = 'Start'): FlowNode {
  return {
    id: 'start',
    type: 'start',
    label,
    position: { x: 0, y: 0 },
    data: {
      input_schema: {
        type: 'object',
        required: fields,
        properties: Object.fromEntries(fields.map((f) => [f, { type: 'string', minLength: 1 }])),
      },
    },
  };
}
