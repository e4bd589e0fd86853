import type { NodeContext } from '../node-definition';

/**
 * What a tool runs with: the context of the node (or agent step) that calls it. Its credential is
 * the node's, not the tool's. Apart from tool-types.ts, which NodeServices imports: the node
 * context refers to NodeServices, so one file for both would be an import cycle.
 */
export type ToolContext = NodeContext;

/** A tool built into the platform (`GET /api/v1/tools/builtin`). */
export interface BuiltinTool {
  description: string;
  /** JSON Schema of the input; the input is checked against it before `run`. */
  input_schema: Record<string, unknown>;
  run(input: any, ctx: ToolContext): Promise<unknown>;
}
