import type { ChatToolSpec } from '../llm/chat-client';
import { compileSchema, describeSchemaErrors } from '../json-schema';
import { NodeError, type NodeContext } from '../node-definition';
import { BUILTIN_TOOL_NAMES, builtinTool } from './builtin-tools';
import { runHttpTool } from './http-tool';
import type { ToolContext } from './tool-context';

/** A tool found by name: built in, or one of the owner's (`/api/v1/tools`). */
export interface ResolvedTool {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  kind: 'builtin' | 'http';
  run(input: unknown, ctx: ToolContext): Promise<unknown>;
}

/**
 * The tool of this name: a built-in one, else the owner's. A failing tool store is retryable.
 * @returns undefined when neither has it
 */
export async function findTool(name: string, ctx: Pick<NodeContext, 'ownerId' | 'services'>): Promise<ResolvedTool | undefined> {
  const builtin = builtinTool(name);
  if (builtin) return { name, kind: 'builtin', description: builtin.description, input_schema: builtin.input_schema, run: builtin.run };
  let own;
  try {
    own = await ctx.services.tools.resolve(ctx.ownerId, name);
  } catch (err) {
    throw new NodeError(`could not look up tool "${name.slice(0, 100)}": ${(err as Error).message}`, { retryable: true, type: 'ToolLookupFailed' });
  }
  if (!own) return undefined;
  return { name, kind: 'http', description: own.description, input_schema: own.input_schema, run: (input, c) => runHttpTool(own, input, c) };
}

/** The message of an unknown tool: what to do about it. */
export function unknownToolMessage(name: string): string {
  return `Unknown tool "${name.slice(0, 100)}": register it with POST /api/v1/tools, or use a built-in tool (${BUILTIN_TOOL_NAMES.join(', ')})`;
}

/** {@link findTool}, failing without retries when there is no such tool. */
export async function requireTool(name: string, ctx: Pick<NodeContext, 'ownerId' | 'services'>): Promise<ResolvedTool> {
  const tool = await findTool(name, ctx);
  if (!tool) throw new NodeError(unknownToolMessage(name), { retryable: false, type: 'UnknownTool', details: { tool: name.slice(0, 100) } });
  return tool;
}

/** Checks `input` against the tool's JSON Schema; every problem in one non-retryable error. */
export function checkToolInput(tool: ResolvedTool, input: unknown): void {
  let validate;
  try {
    validate = compileSchema(tool.input_schema);
  } catch (err) {
    throw new NodeError(`tool "${tool.name}" has an invalid input_schema: ${(err as Error).message}`, { retryable: false, type: 'InvalidConfig' });
  }
  if (!validate(input)) {
    const problems = describeSchemaErrors(validate.errors, 'input');
    throw new NodeError(`Invalid input for tool "${tool.name}": ${problems.join('; ')}`, { retryable: false, type: 'InvalidToolInput', details: { problems } });
  }
}

/** Finds a tool, checks the input against its schema and runs it, logging name, kind and duration. */
export async function runTool(name: string, input: unknown, ctx: ToolContext): Promise<unknown> {
  const tool = await requireTool(name, ctx);
  checkToolInput(tool, input);
  const started = Date.now();
  const result = await tool.run(input, ctx);
  ctx.log('info', `tool ${name} (${tool.kind}) answered in ${Date.now() - started} ms`, { tool: name, kind: tool.kind, duration_ms: Date.now() - started });
  return result;
}

/** A tool as a chat-completions request offers it to a model (a parameters schema is always an object schema). */
export function chatToolSpec(tool: ResolvedTool): ChatToolSpec {
  const schema = tool.input_schema;
  const parameters = schema.type === 'object' ? schema : { type: 'object', properties: {}, additionalProperties: true };
  return { type: 'function', function: { name: tool.name, description: tool.description.slice(0, 1024), parameters } };
}
