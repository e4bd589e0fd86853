import { type z } from 'zod';
import { type RetrySpec } from '../shared/flow';
import { type NodeCredential, type NodeCredentialSpec } from './credentials';
import { type NodeServices } from './node-services';

export type { NodeCredential, NodeCredentialSpec } from './credentials';
export type { NodeServices } from './node-services';
export { NodeError } from './node-error';

/** Categories shown in the node-type catalogue. */
export type NodeCategory = 'core' | 'control' | 'action' | 'data' | 'ai' | 'integration' | 'utility';

/** Where a node's activity logs go (execution logs table, live events). */
export type NodeLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Everything `execute` gets besides its rendered `data`. */
export interface NodeContext {
  executionId: string;
  flowId: string;
  ownerId: string;
  nodeId: string;
  /** 1 on the first try. */
  attempt: number;
  /** `prev`: the upstream output (one parent) or `{parent_id: output}` (several). */
  prev: unknown;
  /** The whole run context (`trigger`, `input`, `prev`, `vars`, every finished node), for node types that ask for it. */
  context?: Record<string, unknown>;
  /** Aborted when the run is cancelled or the activity times out. */
  signal: AbortSignal;
  /**
   * Records progress details. Liveness needs no call: while `execute` runs, the wrapper heartbeats
   * every second for types that declare `defaults.heartbeat_ms` (repeating the last details).
   */
  heartbeat(details?: unknown): void;
  log(level: NodeLogLevel, message: string, meta?: Record<string, unknown>): void;
  /**
   * The credential the node named (see {@link NodeDefinition.credentials}), resolved and decrypted
   * by the wrapper before `execute`; `undefined` when it named none. Never put its data in the
   * output, a log or an error message (the wrapper scrubs the secret fields as a safety net).
   */
  credential(): NodeCredential | undefined;
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
export interface NodeDefinition<D = any, R = D> {
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
  /** Validates `data` as stored in a flow (templates allowed in strings unless the field says otherwise). */
  dataSchema: z.ZodType<D, z.ZodTypeDef, unknown>;
  /**
   * Validates `data` after its templates are rendered (concrete values only); default `dataSchema`.
   * The wrapper applies it and fails the node, without retries, with every issue in one message.
   */
  renderedSchema?: z.ZodType<R, z.ZodTypeDef, unknown>;
  /** The credential the node's data may name; the wrapper resolves it for `ctx.credential()`. */
  credentials?: NodeCredentialSpec;
  /** Describes `output` (documentation and catalogue). */
  outputSchema: z.ZodTypeAny;
  /**
   * Whether a node of this type runs as a local activity when its `execution` is `auto`, given its
   * data as written (templates not rendered): only for work that is short and safe to repeat.
   * Absent: remote.
   */
  localWhen?: (data: D) => boolean;
  /**
   * Activity defaults; the node's own `timeout_ms` / `retry` override them. `heartbeat_ms` is the
   * heartbeat timeout, and makes the wrapper heartbeat every second while `execute` runs.
   */
  defaults?: { timeout_ms?: number; retry?: RetrySpec; heartbeat_ms?: number };
  /** The activity receives the whole run context (code nodes). */
  needsContext?: boolean;
  /** Fields of `data` that hold bare JSONata expressions rather than `{{ }}` templates. */
  expressionFields?: string[];
  /** Fields of `data` that are neither templates nor expressions (source code): never rendered. */
  rawFields?: string[];
  /** A minimal valid `data`, shown in the catalogue. */
  example: D;
  /**
   * What a node of this type outputs when it runs with {@link example} (its templates rendered in
   * a plausible run): the catalogue's `example_usage.output`. Must fit `outputSchema`
   * (test/api/node-types-catalogue.test.ts checks every registered type).
   */
  exampleOutput?: Record<string, unknown>;
  /**
   * Runs the node with its rendered data, parsed by `renderedSchema` (or `dataSchema`); required for
   * `activity` nodes. Throw a {@link NodeError} for non-retryable failures.
   */
  execute?: (data: R, ctx: NodeContext) => Promise<NodeResult>;
}

/** Identity helper that keeps the types of `data` (stored and rendered) inferred from the schemas. */
export function defineNode<D, R = D>(def: NodeDefinition<D, R>): NodeDefinition<D, R> {
  return def;
}
