import { z } from 'zod';
import { NodeError } from '../node-definition';
import { ERROR_BODY_EXCERPT_CHARS } from '../net/http-errors';
import { compileSchema, describeSchemaErrors } from '../json-schema';

const jsonSchemaObject = z.record(z.unknown());

/**
 * `response_format` as a node writes it: `text`, `json` (a JSON object), `json_schema` (with the
 * schema in `json_schema`), or OpenAI's own object forms.
 */
export const responseFormatField = z
  .union([
    z.enum(['text', 'json', 'json_schema']),
    z.object({ type: z.enum(['text', 'json_object']) }).strict(),
    z
      .object({
        type: z.literal('json_schema'),
        json_schema: z.object({ name: z.string().min(1).max(64), schema: jsonSchemaObject, strict: z.boolean().optional(), description: z.string().optional() }).strict(),
      })
      .strict(),
  ])
  .default('text')
  .describe('text (default); json: a JSON object, output parsed; json_schema: an answer that fits `json_schema`, output parsed');

/** `json_schema`: the JSON Schema of the answer with `response_format: json_schema`. */
export const jsonSchemaField = jsonSchemaObject.optional().describe('JSON Schema the answer must fit (with response_format json_schema)');

/** What a response format asks of the provider and of the answer. */
export interface OutputFormat {
  kind: 'text' | 'json' | 'json_schema';
  /** The request's `response_format`; absent for text. */
  param?: Record<string, unknown>;
  /** The schema the parsed answer is checked against. */
  schema?: Record<string, unknown>;
}

/** The format of a node's (parsed) `response_format` and `json_schema`. */
export function outputFormat(format: z.infer<typeof responseFormatField> | undefined, schema?: Record<string, unknown>): OutputFormat {
  if (format === undefined || format === 'text') return { kind: 'text' };
  if (format === 'json') return { kind: 'json', param: { type: 'json_object' } };
  if (format === 'json_schema') {
    const named = { name: 'result', schema: schema ?? {}, strict: false };
    return { kind: 'json_schema', param: { type: 'json_schema', json_schema: named }, schema };
  }
  if (format.type === 'text') return { kind: 'text' };
  if (format.type === 'json_object') return { kind: 'json', param: { type: 'json_object' } };
  const named = format as Extract<typeof format, { type: 'json_schema' }>;
  return { kind: 'json_schema', param: named, schema: named.json_schema.schema };
}

/** Problems of a format as written: json_schema needs a schema, and the schema must compile. */
export function outputFormatProblems(format: unknown, schema: unknown): { path: string; message: string }[] {
  if (format === 'json_schema' && (schema === undefined || schema === null)) {
    return [{ path: 'json_schema', message: 'response_format json_schema needs the schema in json_schema' }];
  }
  const candidate = format === 'json_schema' ? schema : (format as { json_schema?: { schema?: unknown } } | undefined)?.json_schema?.schema;
  if (candidate && typeof candidate === 'object') {
    try {
      compileSchema(candidate as Record<string, unknown>);
    } catch (err) {
      return [{ path: format === 'json_schema' ? 'json_schema' : 'response_format.json_schema.schema', message: `Invalid JSON Schema: ${(err as Error).message}` }];
    }
  }
  return [];
}

/**
 * The answer as the node outputs it: the text, or in the JSON formats the parsed value (a
 * `` ```json `` fence, which models without a native JSON mode add, is tolerated).
 * @throws NodeError `InvalidLlmJson` — retryable (a new sample may parse, or fit the schema)
 * unless the answer was cut off (`finish_reason: length`: raise max_tokens)
 */
export function parseAnswer(content: string, finishReason: string | null, format: OutputFormat): unknown {
  if (format.kind === 'text') return content;
  const truncated = finishReason === 'length';
  const fail = (message: string, extra: Record<string, unknown> = {}) =>
    new NodeError(truncated ? 'The model ran out of tokens before finishing its JSON answer; raise max_tokens' : message, {
      retryable: !truncated,
      type: 'InvalidLlmJson',
      details: { finish_reason: finishReason, content: content.slice(0, ERROR_BODY_EXCERPT_CHARS), ...extra },
    });
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/i.exec(content);
  let value: unknown;
  try {
    value = JSON.parse(fenced ? fenced[1] : content);
  } catch {
    throw fail('The model did not answer with valid JSON');
  }
  if (format.schema) {
    const validate = compileSchema(format.schema);
    if (!validate(value)) {
      const problems = describeSchemaErrors(validate.errors, 'result');
      throw fail(`The model's JSON does not fit json_schema: ${problems.join('; ')}`, { problems });
    }
  }
  return value;
}
