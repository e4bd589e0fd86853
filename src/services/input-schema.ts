import Ajv, { type ValidateFunction } from 'ajv';
import type { CompiledFlow } from '../shared/flow';

const ajv = new Ajv({ allErrors: true, strict: false });
const cache = new Map<string, ValidateFunction>();

/**
 * Checks `input_data` against the `input_schema` of the flow's start node(s).
 * Returns `{ "input_data.path": message }` with every problem (several at one path joined with
 * `; `), or undefined when it fits.
 */
export function checkInput(def: CompiledFlow, input: unknown): Record<string, string> | undefined {
  const details: Record<string, string> = {};
  for (const node of def.nodes) {
    const schema = node.type === 'start' ? node.data.input_schema : undefined;
    if (!schema || typeof schema !== 'object') continue;
    const key = JSON.stringify(schema);
    let validate = cache.get(key);
    if (!validate) {
      try {
        validate = ajv.compile(schema as object);
      } catch (err) {
        details[`nodes.${node.id}.data.input_schema`] = `invalid JSON Schema: ${(err as Error).message}`;
        continue;
      }
      if (cache.size > 500) cache.clear();
      cache.set(key, validate);
    }
    if (!validate(input)) {
      for (const e of validate.errors ?? []) {
        const path = 'input_data' + e.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.');
        // Every problem, also several at one path (two missing required fields are both at the object).
        const message = e.message ?? 'invalid';
        details[path] = details[path] === undefined ? message : `${details[path]}; ${message}`;
      }
    }
  }
  return Object.keys(details).length ? details : undefined;
}
