/**
 * The run input an `input` node declares (docs/nodes.md, "input and output"): its `fields` and
 * `input_schema`, their defaults, and the JSON Schema the API checks `input_data` against.
 * Bundle-safe: the interpreter applies the same defaults as the API.
 */
import type { CompiledFlow } from './flow';

/** Types a declared input field may have (JSON Schema's, plus `any`). */
export const INPUT_FIELD_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'any'] as const;

/** One field of the run input, as an `input` node declares it. */
export interface InputField {
  name: string;
  type?: (typeof INPUT_FIELD_TYPES)[number];
  required?: boolean;
  default?: unknown;
  description?: string;
}

/** The data of an `input` node (parsed). */
export interface InputNodeData {
  fields?: InputField[];
  input_schema?: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Defaults of the top-level input fields: each field's `default`, else the schema property's `default`. */
export function inputDefaults(data: InputNodeData): Obj {
  const out: Obj = {};
  const properties = isObject(data.input_schema) && isObject(data.input_schema.properties) ? data.input_schema.properties : {};
  for (const [name, prop] of Object.entries(properties)) {
    if (isObject(prop) && prop.default !== undefined) out[name] = prop.default;
  }
  for (const field of data.fields ?? []) if (field.default !== undefined) out[field.name] = field.default;
  return out;
}

/**
 * `input` with the declared defaults filled in where a field is missing; `input` itself
 * when nothing is declared. An absent input counts as `{}`; input that is no object is left as is.
 */
export function withInputDefaults(input: unknown, data: InputNodeData): unknown {
  const defaults = inputDefaults(data);
  const names = Object.keys(defaults);
  if (names.length === 0) return input;
  if (input !== undefined && input !== null && !isObject(input)) return input;
  const out: Obj = { ...(input ?? {}) };
  for (const name of names) if (out[name] === undefined) out[name] = copyJson(defaults[name]);
  return out;
}

/** A copy of a JSON value, so no run shares (and mutates) the definition's default. */
function copyJson(value: unknown): unknown {
  return value === null || typeof value !== 'object' ? value : JSON.parse(JSON.stringify(value));
}

/** A run input with the defaults of every top-level `input` node of `def` applied, in node order. */
export function applyInputNodeDefaults(def: CompiledFlow, input: unknown): unknown {
  let out = input;
  for (const node of def.nodes) if (node.type === 'input') out = withInputDefaults(out, node.data as InputNodeData);
  return out;
}

/**
 * The JSON Schemas `input_data` must satisfy for one `input` node: one built from its `fields`
 * (types and `required`) and its own `input_schema`, each only when declared.
 */
export function inputNodeSchemas(data: InputNodeData): Obj[] {
  const schemas: Obj[] = [];
  const fields = data.fields ?? [];
  if (fields.length > 0) {
    const properties: Obj = {};
    for (const f of fields) properties[f.name] = f.type && f.type !== 'any' ? { type: f.type } : {};
    const required = fields.filter((f) => f.required).map((f) => f.name);
    schemas.push({ type: 'object', properties, ...(required.length ? { required } : {}) });
  }
  if (isObject(data.input_schema)) schemas.push(data.input_schema);
  return schemas;
}
