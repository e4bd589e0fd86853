/**
 * Runtime helpers of an exported TypeScript workflow (docs/export-typescript.md): the context a
 * run's expressions read (input, trigger, execution, vars and node outputs) and control nodes'
 * outputs, as on the platform.
 */
import type { Helper } from './flow-export-ts-runtime-helper';

/** The context's types, `newContext` and `output`, in the order the exported file carries them. */
export const CONTEXT_HELPERS = {
  types: {
    code: `/** What expressions read: input, trigger, execution, vars and every node's output by its id (item and index in loop bodies). */
type Context = Record<string, any>;

/** A node's output: its main value in \`result\`, plus fields of its type. */
type Output = { result: unknown; [field: string]: unknown };

/** How a run started; \`trigger.data\` is the input unless given. */
interface Trigger {
  type: string;
  data?: unknown;
  [key: string]: unknown;
}`,
  },
  newContext: {
    uses: ['types'],
    imports: ['workflowInfo'],
    code: `/** The context of a run: the same names a flow's expressions see on the platform. */
function newContext(input: unknown, trigger: Trigger): Context {
  const info = workflowInfo();
  return {
    trigger: { ...trigger, data: trigger.data ?? input },
    input,
    execution: { id: info.runId, flow_id: FLOW.id, flow_version: FLOW.version, workflow_id: info.workflowId },
    vars: {},
  };
}`,
  },
  output: {
    uses: ['types'],
    code: `/** A control node's output: \`{result}\`, with null for nothing. */
function output(result: unknown): Output {
  return { result: result === undefined ? null : result };
}`,
  },
} satisfies Record<string, Helper>;
