import { z } from 'zod';
import { type NodeDefinition } from './node-definition';
import { didYouMean } from '../shared/did-you-mean';
import { getNodeDefinition, listNodeDefinitions, nodePorts, nodeTypeInfo } from './registry';
import { isTemplate, isUuid } from './schema-helpers';
import { checkExpressionString, checkTemplateString } from './template-checks';
import { type Report, keyPath, reportZod } from './validation-issue';

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Data fields that are not `{{ }}` templates (besides each type's expression fields). */
const NON_TEMPLATE_FIELDS: Record<string, string[]> = { start: ['input_schema'], loop: ['body'] };

const NODE_FIELDS = new Set(['id', 'type', 'label', 'data', 'retry', 'timeout_ms', 'on_error', 'execution', 'position']);
/** Node fields that editors add and the platform ignores (no warning). */
const EDITOR_NODE_FIELDS = new Set(['width', 'height', 'selected', 'dragging', 'measured', 'positionAbsolute', 'style', 'description', 'notes']);

const MAX_TIMEOUT_MS = 30 * 24 * 3_600_000;

const settingSchemas: Record<string, z.ZodTypeAny> = {
  label: z.string().max(200),
  retry: z
    .object({
      max_attempts: z.number().int().min(1).max(100).optional(),
      initial_interval_ms: z.number().int().min(1).max(MAX_TIMEOUT_MS).optional(),
      backoff_coefficient: z.number().min(1).max(100).optional(),
      max_interval_ms: z.number().int().min(1).max(MAX_TIMEOUT_MS).optional(),
    })
    .strict()
    .refine(
      (r) => r.max_interval_ms === undefined || r.initial_interval_ms === undefined || r.max_interval_ms >= r.initial_interval_ms,
      { message: 'max_interval_ms must be at least initial_interval_ms', path: ['max_interval_ms'] },
    ),
  timeout_ms: z.number().int().min(1).max(MAX_TIMEOUT_MS, 'At most 30 days'),
  on_error: z.enum(['fail', 'continue', 'route']),
  execution: z.enum(['auto', 'local', 'remote']),
  position: z.object({ x: z.number(), y: z.number() }).strict(),
};

/** The fields of the settings that are objects, for a "did you mean" on an unknown one (`max_attempt`). */
const SETTING_FIELDS: Record<string, readonly string[]> = {
  retry: ['max_attempts', 'initial_interval_ms', 'backoff_coefficient', 'max_interval_ms'],
  position: ['x', 'y'],
};

/** Template roots used at a path, checked once every node id of the flow is known. */
export interface Reference {
  path: string;
  roots: string[];
  /** The string as written: a template, or a bare expression when `expression` is set. */
  text: string;
  expression: boolean;
}

/** What the graph checks need to know about one node. */
export interface CheckedNode {
  /** Set when the type is registered. */
  def?: NodeDefinition;
  /** As written, when it is a string. */
  type?: string;
  /** Output ports; `null` when they cannot be known (unknown type, invalid switch cases). */
  ports: ReadonlySet<string> | null;
  routesErrors: boolean;
  /** The node's `data`, when it is an object. */
  data?: Obj;
  /** `data` as its type's schema parsed it (defaults filled, seed spellings resolved), when it is valid. */
  parsed?: Obj;
  references: Reference[];
}

/** Options of {@link checkNode}. */
export interface CheckNodeOptions {
  error: Report;
  warn: Report;
  knownFlowIds?: ReadonlySet<string>;
}

let typeNames: string[] | undefined;

/** Every registered type and alias: the candidates of a "did you mean" for an unknown type. */
function knownTypeNames(): string[] {
  typeNames ??= listNodeDefinitions().flatMap((def) => [def.type, ...(def.aliases ?? [])]);
  return typeNames;
}

/** The fields a type's `data` declares (from its catalogue schema). */
function dataFieldNames(type: string): string[] {
  const properties = nodeTypeInfo(type)?.config_schema.properties;
  return isObject(properties) ? Object.keys(properties) : [];
}

/** Values of `data` at an expression-field pattern such as `expression` or `cases[].expression`. */
function resolveField(data: Obj, pattern: string, base: string): { path: string; value: unknown }[] {
  let current: { path: string; value: unknown }[] = [{ path: base, value: data }];
  for (const segment of pattern.split('.')) {
    const many = segment.endsWith('[]');
    const name = many ? segment.slice(0, -2) : segment;
    const next: { path: string; value: unknown }[] = [];
    for (const { path, value } of current) {
      if (!isObject(value) || value[name] === undefined) continue;
      const child = value[name];
      const childPath = keyPath(path, name);
      if (!many) next.push({ path: childPath, value: child });
      else if (Array.isArray(child)) child.forEach((item, i) => next.push({ path: `${childPath}[${i}]`, value: item }));
    }
    current = next;
  }
  return current;
}

/** Calls `visit` for every string in `value` (iteratively, so deep data cannot overflow the stack). */
function walkStrings(value: unknown, path: string, skip: ReadonlySet<string>, visit: (path: string, text: string) => void): void {
  const values: unknown[] = [value];
  const paths: string[] = [path];
  while (values.length > 0) {
    const current = values.pop();
    const at = paths.pop()!;
    if (skip.size > 0 && skip.has(at)) continue;
    if (typeof current === 'string') visit(at, current);
    else if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) {
        values.push(current[i]);
        paths.push(`${at}[${i}]`);
      }
    } else if (isObject(current)) {
      for (const key of Object.keys(current)) {
        values.push(current[key]);
        paths.push(keyPath(at, key));
      }
    }
  }
}

/**
 * Checks one node on its own (everything but its id and edges): type, settings, `data` against the
 * type's schema, template syntax in every string of `data`, expression syntax in expression fields,
 * and a literal sub-flow id against the known flows. Collects template references for later.
 */
export function checkNode(node: Obj, path: string, options: CheckNodeOptions): CheckedNode {
  const { error, warn } = options;
  const checked: CheckedNode = { ports: null, routesErrors: node.on_error === 'route', references: [] };

  if (typeof node.type !== 'string' || node.type.trim() === '') {
    error(`${path}.type`, 'INVALID_NODE_TYPE', node.type === undefined ? 'Node type is required' : 'Node type must be a string');
  } else {
    checked.type = node.type;
    checked.def = getNodeDefinition(node.type);
    if (!checked.def) error(`${path}.type`, 'UNKNOWN_NODE_TYPE', `Unknown node type "${node.type}"${didYouMean(node.type, knownTypeNames())}`);
  }
  const def = checked.def;

  for (const key of Object.keys(node)) {
    const schema = settingSchemas[key];
    if (schema) {
      if (node[key] === undefined) continue;
      const result = schema.safeParse(node[key]);
      if (!result.success) reportZod(result.error, `${path}.${key}`, 'INVALID_NODE_SETTING', error, SETTING_FIELDS[key]);
    } else if (!NODE_FIELDS.has(key) && !EDITOR_NODE_FIELDS.has(key)) {
      // A newcomer's usual slip: a data field (`url`) written on the node itself.
      const hint = def && dataFieldNames(def.type).includes(key) ? ` (it belongs in data: data.${key})` : didYouMean(key, NODE_FIELDS);
      warn(keyPath(path, key), 'UNKNOWN_FIELD', `Unknown node field "${key}" is ignored${hint}`);
    }
  }

  const data = node.data === undefined ? {} : node.data;
  const dp = `${path}.data`;
  if (!isObject(data)) {
    error(dp, 'INVALID_NODE_DATA', 'data must be an object');
    return checked;
  }
  checked.data = data;

  if (def) {
    const parsed = def.dataSchema.safeParse(data);
    if (parsed.success) {
      checked.ports = new Set(nodePorts(def, parsed.data));
      if (isObject(parsed.data)) checked.parsed = parsed.data;
    } else {
      reportZod(parsed.error, dp, 'INVALID_NODE_DATA', error, dataFieldNames(def.type));
      if (!def.dynamicPorts) checked.ports = new Set(def.ports);
    }
  }

  // Expression fields are bare JSONata; every other string may hold templates.
  const skip = new Set<string>();
  for (const field of NON_TEMPLATE_FIELDS[def?.type ?? ''] ?? []) skip.add(keyPath(dp, field));
  for (const pattern of def?.expressionFields ?? []) {
    for (const { path: fieldPath, value } of resolveField(data, pattern, dp)) {
      skip.add(fieldPath);
      if (typeof value !== 'string') continue;
      const bare = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(value);
      if (bare && !bare[1].includes('{{')) {
        error(fieldPath, 'INVALID_EXPRESSION', `Expression fields are bare JSONata: write \`${bare[1].trim()}\` without {{ }}`);
        continue;
      }
      const { problems, roots } = checkExpressionString(value);
      for (const problem of problems) error(fieldPath, 'INVALID_EXPRESSION', problem);
      if (problems.length === 0) checked.references.push({ path: fieldPath, roots, text: value, expression: true });
    }
  }
  walkStrings(data, dp, skip, (stringPath, text) => {
    if (!text.includes('{{')) return;
    const { problems, roots } = checkTemplateString(text);
    for (const problem of problems) error(stringPath, 'INVALID_TEMPLATE', problem);
    if (problems.length === 0) checked.references.push({ path: stringPath, roots, text, expression: false });
  });

  if (def?.type === 'sub-flow' && options.knownFlowIds && typeof data.workflow_id === 'string') {
    const flowId = data.workflow_id;
    if (isUuid(flowId) && !isTemplate(flowId) && !options.knownFlowIds.has(flowId)) {
      error(`${dp}.workflow_id`, 'UNKNOWN_FLOW', `No flow "${flowId}" that this flow's owner can run`);
    }
  }
  return checked;
}
