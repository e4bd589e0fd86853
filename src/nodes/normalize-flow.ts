import { type FlowEdge, type FlowGraph, type FlowNode } from '../shared/flow';
import { declaresDataField, normalizeType } from './registry';

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Node settings as the seeds and other tools spell them → the canonical node-level key. */
const SETTING_SPELLINGS: Record<string, keyof FlowNode> = {
  label: 'label',
  retry: 'retry',
  timeout_ms: 'timeout_ms',
  timeoutMs: 'timeout_ms',
  on_error: 'on_error',
  onError: 'on_error',
  execution: 'execution',
  position: 'position',
};

/** Windmill's / n8n's boolean spellings of `on_error`. */
const CONTINUE_SPELLINGS = ['continue_on_error', 'continueOnError', 'continueOnFail'];

function idOf(value: unknown): unknown {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
}

function handleOf(value: unknown): unknown {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return value;
}

/** Whether a setting found inside `data` belongs to the node rather than to the type's own data. */
function isSettingOf(type: unknown, key: string): boolean {
  if (typeof type !== 'string') return key !== 'timeout_ms';
  const declared = declaresDataField(type, key);
  // Several types (http-request, code, approval, wait-event) have their own data.timeout_ms; for a
  // type we do not know yet, leave it where it is rather than guess.
  return declared === undefined ? key !== 'timeout_ms' : !declared;
}

function takeSettings(source: Obj, into: Obj, type: unknown, fromData: boolean): void {
  for (const key of Object.keys(source)) {
    const target = SETTING_SPELLINGS[key];
    if (target && (!fromData || isSettingOf(type, key))) {
      if (into[target] === undefined) into[target] = source[key];
      delete source[key];
    } else if (CONTINUE_SPELLINGS.includes(key) && typeof source[key] === 'boolean') {
      if (into.on_error === undefined) into.on_error = source[key] ? 'continue' : 'fail';
      delete source[key];
    }
  }
}

function normalizeNode(raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  const type = typeof raw.type === 'string' ? normalizeType(raw.type) : raw.type;
  const settings: Obj = {};
  const extras: Obj = {};
  for (const key of Object.keys(raw)) {
    if (key === 'id' || key === 'type' || key === 'data' || key === 'config') continue;
    if (SETTING_SPELLINGS[key] || CONTINUE_SPELLINGS.includes(key)) settings[key] = raw[key];
    else extras[key] = raw[key];
  }
  const canonical: Obj = {};
  takeSettings(settings, canonical, type, false);
  // Whatever takeSettings left (a non-boolean continue_on_error) is not understood: keep it.
  Object.assign(extras, settings);

  const rawData = raw.data;
  const rawConfig = raw.config;
  let data: unknown;
  if (isObject(rawData) || isObject(rawConfig)) {
    data = { ...(isObject(rawConfig) ? rawConfig : {}), ...(isObject(rawData) ? rawData : {}) };
  } else {
    data = rawData ?? rawConfig ?? {};
  }
  if (isObject(data)) {
    takeSettings(data, canonical, type, true);
    if (type === 'loop' && isObject(data.body)) data.body = normalizeFlow(data.body);
  }

  const node: Obj = {};
  const id = idOf(raw.id);
  if (id !== undefined) node.id = id;
  if (type !== undefined) node.type = type;
  if (canonical.label !== undefined) node.label = canonical.label;
  node.data = data;
  for (const key of ['retry', 'timeout_ms', 'on_error', 'execution', 'position']) if (canonical[key] !== undefined) node[key] = canonical[key];
  for (const key of Object.keys(extras)) if (extras[key] !== undefined) node[key] = extras[key];
  return node;
}

function normalizeEdge(raw: unknown): unknown {
  if (!isObject(raw)) return raw;
  const { id, source, target, from, to, source_handle, sourceHandle, condition, ...rest } = raw;
  const edge: Obj = {};
  if (id !== undefined) edge.id = idOf(id);
  edge.source = idOf(source ?? from);
  edge.target = idOf(target ?? to);
  const handle = handleOf(source_handle ?? sourceHandle ?? condition);
  if (handle !== undefined) edge.source_handle = handle;
  return { ...edge, ...rest };
}

/**
 * Turns a flow as clients and the seeds spell it into the canonical `{nodes, edges}` (docs/flow-format.md):
 * `config` → `data`, `from`/`to`/`condition` → `source`/`target`/`source_handle`,
 * `sourceHandle` → `source_handle`, type aliases → canonical types, and node settings (`label`,
 * `retry`, `timeout_ms`, `on_error`, `position`) found inside `data` moved onto the node. Loop
 * bodies are normalised too. Idempotent.
 *
 * Never throws: whatever it cannot make sense of is left in place for {@link validateFlow} to
 * report, so the result is only a `FlowGraph` once validation passes.
 */
export function normalizeFlow(raw: unknown): FlowGraph {
  const source = isObject(raw) ? raw : {};
  const nodes = Array.isArray(source.nodes) ? source.nodes.map(normalizeNode) : source.nodes;
  const edges =
    source.edges === undefined || source.edges === null
      ? []
      : Array.isArray(source.edges)
        ? source.edges.map(normalizeEdge)
        : source.edges;
  return { nodes: nodes as FlowNode[], edges: edges as FlowEdge[] };
}
