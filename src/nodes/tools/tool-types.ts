import { z } from 'zod';
import { schemaProblem } from '../json-schema';
import { isTemplate } from '../schema-helpers';

/** Tool names: what chat-completions APIs accept as a function name. */
export const TOOL_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Methods a user-defined HTTP tool may use. */
export const HTTP_TOOL_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** Credential types an HTTP tool may name (their header is added to its request). */
export const HTTP_TOOL_CREDENTIAL_TYPES = ['http_bearer', 'http_basic', 'http_header'] as const;
export const MAX_HTTP_TOOL_TIMEOUT_MS = 300_000;

/** How a user-defined tool calls its HTTP endpoint. */
export const httpToolConfig = z
  .object({
    method: z.preprocess((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v), z.enum(HTTP_TOOL_METHODS)).default('GET'),
    url: z
      .string()
      .trim()
      .min(1)
      .max(2000)
      .refine((u) => isTemplate(u) || /^https?:\/\//i.test(u), 'Must be an http(s) URL; {{ }} templates read the input (`{{ device_id }}`)')
      .describe('http(s) URL; `{{ }}` templates read the input, each value URL-encoded'),
    headers: z.record(z.string().max(4000)).optional().describe('Request headers; values may hold `{{ }}` templates over the input'),
    credential: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe(`Id or name of an ${HTTP_TOOL_CREDENTIAL_TYPES.join(', ')} credential of the tool's owner, added as a header`),
    timeout_ms: z.number().int().min(1).max(MAX_HTTP_TOOL_TIMEOUT_MS).optional().describe('Request timeout; default 30 s'),
  })
  .strict();

/** A JSON Schema, checked to compile. */
export const jsonSchemaDefinition = z
  .record(z.unknown())
  .superRefine((schema, ctx) => {
    const problem = schemaProblem(schema);
    if (problem) ctx.addIssue({ code: 'custom', message: `Invalid JSON Schema: ${problem}` });
  });

/** A user-defined HTTP tool as the tool store keeps it. */
export interface UserTool {
  id: string;
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  http: z.infer<typeof httpToolConfig>;
}

/** Where the worker finds the owner's own tools (`/api/v1/tools`); part of NodeServices. */
export interface ToolProvider {
  /** The owner's tool with this name; undefined when there is none. */
  resolve(ownerId: string, name: string): Promise<UserTool | undefined>;
}

/** A provider that knows no tool (workers without a tool store: tests, benches). */
export const noToolProvider: ToolProvider = {
  async resolve() {
    return undefined;
  },
};

/** A provider over a fixed list (tests); without `owner_id` every owner sees a tool. */
export function memoryToolProvider(list: readonly (UserTool & { owner_id?: string })[]): ToolProvider {
  return {
    async resolve(ownerId, name) {
      const found = list.find((t) => t.name === name && (t.owner_id === undefined || t.owner_id === ownerId));
      return found && structuredClone({ id: found.id, name: found.name, description: found.description, input_schema: found.input_schema, http: found.http });
    },
  };
}
