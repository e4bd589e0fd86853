import Ajv, { type ValidateFunction } from 'ajv';
import type { CompiledFlow, CompiledNode } from '../shared/flow';
import { inputNodeSchemas, type InputNodeData } from '../shared/input-fields';

const ajv = new Ajv({ allErrors: true, strict: false });
const cache = new Map<string, ValidateFunction>();

/** The JSON Schemas the run input must satisfy: each start node's `input_schema`, each input node's fields and `input_schema`. */
function inputSchemas(def: CompiledFlow): { node: CompiledNode; schema: unknown }[] {
  const out: { node: CompiledNode; schema: unknown }[] = [];
  for (const node of def.nodes) {
    if (node.type === 'start') out.push({ node, schema: node.data.input_schema });
    else if (node.type === 'input') for (const schema of inputNodeSchemas(node.data as InputNodeData)) out.push({ node, schema });
  }
  return out;
}

/**
 * Checks `input_data` against the `input_schema` of the flow's start node(s) and the fields and
 * `input_schema` of its input node(s) (with their defaults already applied).
 * Returns `{ "input_data.path": message }` with every problem (several at one path joined with
 * `; `), or undefined when it fits.
 */
export function checkInput(def: CompiledFlow, input: unknown): Record<string, string> | undefined {
  const details: Record<string, string> = {};
  for (const { node, schema } of inputSchemas(def)) {
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
