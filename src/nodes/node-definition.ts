import { type z } from 'zod';
import { type RetrySpec } from '../shared/flow';

/** Categories shown in the node-type catalogue. */
export type NodeCategory = 'core' | 'control' | 'action' | 'data' | 'ai' | 'integration' | 'utility';

/** Where a node's activity logs go (execution logs table, live events). */
export type NodeLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Services and settings an executing node may use; built once by the worker. */
export interface NodeServices {
  /** Hosts / CIDRs that HTTP-calling nodes may reach despite the private-address guard. */
  httpAllowedHosts: string[];
  llm: { baseUrl?: string; apiKey?: string; model: string };
  smtp: { url?: string; from: string };
}

/** Everything `execute` gets besides its rendered `data`. */
export interface NodeContext {
  executionId: string;
  flowId: string;
  ownerId: string;
  nodeId: string;
  /** 1 on the first try. */
  attempt: number;
  /** Upstream output (one parent) or `{parent_id: output}` (several). */
  input: unknown;
  /** The whole run context (`trigger`, `input`, `vars`, every finished node), for node types that ask for it. */
  context?: Record<string, unknown>;
  /** Aborted when the run is cancelled or the activity times out. */
  signal: AbortSignal;
  heartbeat(details?: unknown): void;
  log(level: NodeLogLevel, message: string, meta?: Record<string, unknown>): void;
  services: NodeServices;
}

/** What `execute` returns: `output.result` is the node's main value. */
export interface NodeResult {
  output: Record<string, unknown> & { result: unknown };
  /** Output port to follow, for node types with several. */
  port?: string;
}

/**
 * One node type. Adding a node type = one file exporting a definition, one line in `registry.ts`,
 * one test file. The definition drives validation, the `/node-types` catalogue and the worker.
 */
export interface NodeDefinition<D = any> {
  /** Type id used in flows, e.g. `http-request`. */
  type: string;
  /** Other spellings accepted on input and normalised to `type` (seeds: `http_request`, `ai-generate`). */
  aliases?: string[];
  name: string;
  category: NodeCategory;
  description: string;
  /** `activity`: runs as a Temporal activity through `execute`; `control`: interpreted in the workflow. */
  kind: 'activity' | 'control';
  /** Named output ports; `default` for a single unnamed port; empty for terminal nodes. */
  ports: string[];
  /** Ports derived from the node's data (switch cases); added to `ports`. */
  dynamicPorts?: (data: D) => string[];
  /** Validates `data` (templates allowed in strings unless the field says otherwise). */
  dataSchema: z.ZodType<D, z.ZodTypeDef, unknown>;
  /** Describes `output` (documentation and catalogue). */
  outputSchema: z.ZodTypeAny;
  /** Activity defaults; the node's own `timeout_ms` / `retry` override them. */
  defaults?: { timeout_ms?: number; retry?: RetrySpec; heartbeat_ms?: number };
  /** The activity receives the whole run context (code nodes). */
  needsContext?: boolean;
  /** Fields of `data` that hold bare JSONata expressions rather than `{{ }}` templates. */
  expressionFields?: string[];
  /** Fields of `data` that are neither templates nor expressions (source code): never rendered. */
  rawFields?: string[];
  /** A minimal valid `data`, shown in the catalogue. */
  example: D;
  /** Runs the node; required for `activity` nodes. Throw a {@link NodeError} for non-retryable failures. */
  execute?: (data: D, ctx: NodeContext) => Promise<NodeResult>;
}

/** A node failure; `retryable: false` stops retries at once (bad config, HTTP 4xx…). */
export class NodeError extends Error {
  constructor(
    message: string,
    readonly options: { retryable?: boolean; type?: string; details?: unknown; nextRetryDelayMs?: number } = {},
  ) {
    super(message);
    this.name = 'NodeError';
  }
}

/** Identity helper that keeps the type of `data` inferred from the schema. */
export function defineNode<D>(def: NodeDefinition<D>): NodeDefinition<D> {
  return def;
}
