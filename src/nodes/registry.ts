import { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { type NodeCategory, type NodeDefinition } from './node-definition';
import { approvalNode } from './types/approval';
import { conditionNode } from './types/condition';
import { delayNode } from './types/delay';
import { endNode } from './types/end';
import { loopNode } from './types/loop';
import { noopNode } from './types/noop';
import { setNode } from './types/set';
import { startNode } from './types/start';
import { inputNode } from './types/input';
import { outputNode } from './types/output';
import { subFlowNode } from './types/sub-flow';
import { switchNode } from './types/switch';
import { terminateNode } from './types/terminate';
import { transformNode } from './types/transform';
import { waitEventNode } from './types/wait-event';
import { httpRequestNode } from './types/http-request';
import { codeNode } from './types/code';
import { llmNode } from './types/llm';
import { emailSendNode } from './types/email-send';
import { toolCallNode } from './types/tool-call';
import { agentNode } from './types/agent';
import { sqlNode } from './types/sql';

/** Every registered node type: one line per type. */
const definitions: NodeDefinition[] = [
  startNode,
  inputNode,
  outputNode,
  endNode,
  conditionNode,
  switchNode,
  transformNode,
  setNode,
  delayNode,
  loopNode,
  subFlowNode,
  approvalNode,
  waitEventNode,
  terminateNode,
  noopNode,
  httpRequestNode,
  codeNode,
  llmNode,
  emailSendNode,
  toolCallNode,
  agentNode,
  sqlNode,
];

const byType = new Map<string, NodeDefinition>();
/** Every spelling a definition declares in `aliases` (the seeds' `http_request`, `ai-generate`…). */
const aliasToType = new Map<string, string>();
for (const def of definitions) {
  if (byType.has(def.type)) throw new Error(`Node type "${def.type}" is registered twice`);
  byType.set(def.type, def);
}
for (const def of definitions) {
  for (const alias of def.aliases ?? []) {
    if (byType.has(alias)) throw new Error(`Alias "${alias}" of "${def.type}" is a registered type`);
    const taken = aliasToType.get(alias);
    if (taken) throw new Error(`Alias "${alias}" of "${def.type}" is already an alias of "${taken}"`);
    aliasToType.set(alias, def.type);
  }
}

function canonical(spelling: string): string | undefined {
  if (byType.has(spelling)) return spelling;
  return aliasToType.get(spelling);
}

/**
 * The canonical spelling of a node type: aliases (`http_request`, `ai-generate`, `send-email`…)
 * resolve to their type, and `snake_case` / `camelCase` / upper-case spellings of a known type are
 * accepted. An unknown type comes back trimmed but otherwise as written, so errors quote it.
 */
export function normalizeType(type: string): string {
  let normalized = normalizedTypes.get(type);
  if (normalized === undefined) {
    normalized = resolveType(type);
    if (normalizedTypes.size < 10_000) normalizedTypes.set(type, normalized);
  }
  return normalized;
}

const normalizedTypes = new Map<string, string>();

function resolveType(type: string): string {
  const trimmed = type.trim();
  const exact = canonical(trimmed);
  if (exact) return exact;
  const kebab = trimmed
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[\s_.]+/g, '-');
  return canonical(kebab) ?? trimmed;
}

/** The definition of a type or alias; `undefined` when it is not registered. */
export function getNodeDefinition(type: string): NodeDefinition | undefined {
  return byType.get(type) ?? byType.get(normalizeType(type));
}

/** All registered definitions, in registry order. */
export function listNodeDefinitions(): readonly NodeDefinition[] {
  return definitions;
}

/** Output ports of a node of this type with this (valid, parsed) data: static ports, then dynamic ones. */
export function nodePorts(def: NodeDefinition, data: unknown): string[] {
  if (!def.dynamicPorts) return [...def.ports];
  return [...new Set([...def.dynamicPorts(data), ...def.ports])];
}

function objectShape(schema: z.ZodTypeAny): Record<string, z.ZodTypeAny> | undefined {
  let current: z.ZodTypeAny = schema;
  for (;;) {
    if (current instanceof z.ZodObject) return current.shape as Record<string, z.ZodTypeAny>;
    if (current instanceof z.ZodEffects) current = current.innerType();
    else if (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable)
      current = current._def.innerType;
    else return undefined;
  }
}

/**
 * Whether the data schema of `type` has a field `field` (e.g. http-request's own `timeout_ms`).
 * `undefined` when the type is not registered or its schema is not an object.
 */
export function declaresDataField(type: string, field: string): boolean | undefined {
  const def = getNodeDefinition(type);
  const shape = def && objectShape(def.dataSchema as z.ZodTypeAny);
  return shape ? Object.hasOwn(shape, field) : undefined;
}

// A declared credential must be nameable in the data, or no node could ever use it.
for (const def of definitions) {
  const field = def.credentials && (def.credentials.field ?? 'credential');
  if (field && !declaresDataField(def.type, field))
    throw new Error(`Node type "${def.type}" declares credentials in "${field}", which its data schema lacks`);
}

/** A node type as the `/node-types` catalogue shows it. */
export interface NodeTypeInfo {
  type: string;
  aliases: string[];
  name: string;
  category: NodeCategory;
  description: string;
  kind: 'activity' | 'control';
  /** Static ports; `dynamic_ports` says more are derived from the data (switch case names). */
  ports: string[];
  dynamic_ports: boolean;
  /** JSON Schema of `data`. */
  config_schema: Record<string, unknown>;
  /** JSON Schema of the node's output (`result` plus type-specific fields). */
  output_schema: Record<string, unknown>;
  /** The credential the node may name in `data[field]`, and of which types; `null` when it takes none. */
  credentials: { field: string; types: string[]; required: boolean } | null;
  example: unknown;
  /** The example `data` (`input`) and what a node with it outputs (`output`), as seed 000 shows them. */
  example_usage: { input: unknown; output: unknown };
}

// zodToJsonSchema's generic signature is too deep for tsc on our schemas; the plain one suffices.
const toJsonSchema = zodToJsonSchema as unknown as (schema: z.ZodTypeAny, options: { $refStrategy: 'none' }) => Record<string, unknown>;

function jsonSchema(schema: z.ZodTypeAny): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, { $refStrategy: 'none' });
  return rest;
}

const infoCache = new Map<string, NodeTypeInfo>();

/** Catalogue entry of a type or alias; `undefined` when unknown. */
export function nodeTypeInfo(type: string): NodeTypeInfo | undefined {
  const def = getNodeDefinition(type);
  if (!def) return undefined;
  let info = infoCache.get(def.type);
  if (!info) {
    info = {
      type: def.type,
      aliases: [...(def.aliases ?? [])],
      name: def.name,
      category: def.category,
      description: def.description,
      kind: def.kind,
      ports: [...def.ports],
      dynamic_ports: Boolean(def.dynamicPorts),
      config_schema: jsonSchema(def.dataSchema as z.ZodTypeAny),
      output_schema: jsonSchema(def.outputSchema),
      credentials: def.credentials
        ? {
            field: def.credentials.field ?? 'credential',
            types: [...def.credentials.types],
            required: def.credentials.required ?? false,
          }
        : null,
      example: def.example,
      example_usage: { input: def.example, output: def.exampleOutput ?? null },
    };
    infoCache.set(def.type, info);
  }
  return info;
}

/** The whole catalogue, in registry order. */
export function nodeCatalogue(): NodeTypeInfo[] {
  return definitions.map((def) => nodeTypeInfo(def.type)!);
}
