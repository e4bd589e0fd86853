/**
 * Request bodies of the tool routes (`/tools`), as zod schemas: the routes parse with them and the
 * OpenAPI document shows them. A tool's `http` block and JSON Schema are checked by the shapes in
 * src/nodes/tools/tool-types.ts, which the worker relies on too.
 */
import { z } from 'zod';
import { httpToolConfig, jsonSchemaDefinition, TOOL_NAME_PATTERN } from '../../nodes/tools/tool-types';

/** `POST /tools` and `PUT /tools/{id}` (a PUT replaces the whole definition). */
export const toolBody = z
  .object({
    name: z
      .string()
      .trim()
      .regex(TOOL_NAME_PATTERN, 'letters, digits, _ and -, starting with a letter, at most 64 characters')
      .describe('unique among your tools and not a built-in name; what tool-call nodes and agents name'),
    description: z.string().trim().min(1).max(4000).describe('what the tool does and returns: agents show it to the model'),
    input_schema: jsonSchemaDefinition.describe('JSON Schema of the input (type object); every call is checked against it'),
    http: httpToolConfig,
  })
  .strict();

/** `POST /tools/{id}/test`. */
export const toolTestBody = z
  .object({ input: z.unknown().optional().describe('the input to call the tool with (default {})') })
  .strict();
