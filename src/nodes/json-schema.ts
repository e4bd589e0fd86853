import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

// strict: false — user-written schemas carry keywords ajv does not know (examples, titles of editors).
const ajv = new Ajv({ allErrors: true, strict: false });
const cache = new Map<string, ValidateFunction>();
const CACHE_LIMIT = 500;

/**
 * Compiles a JSON Schema (tool inputs, JSON answers), cached by its text.
 * @throws Error when the schema itself is invalid
 */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = cache.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, validate);
  }
  return validate;
}

/** Why a schema does not compile; undefined when it does. */
export function schemaProblem(schema: unknown): string | undefined {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return 'must be a JSON Schema object';
  try {
    compileSchema(schema as Record<string, unknown>);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** ajv's errors as `root.path: message` lines (`input.devices[0].id: must be string`). */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined, root: string): string[] {
  return (errors ?? []).map((e) => {
    const path = root + e.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.');
    const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : '';
    return `${path}: ${e.message ?? 'invalid'}${extra}`;
  });
}
