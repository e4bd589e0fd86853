import { type NodeContext, type NodeDefinition, type NodeLogLevel } from '../../src/nodes/node-definition';
import { createNodeServices, type NodeServicesInit } from '../../src/nodes/node-services';

/** One `ctx.log` call recorded by {@link makeNodeContext}. */
export interface LoggedEntry {
  level: NodeLogLevel;
  message: string;
  meta?: Record<string, unknown>;
}

/** A NodeContext that records what the node logged and heartbeated. */
export type TestNodeContext = NodeContext & { logs: LoggedEntry[]; heartbeats: unknown[] };

/** Overrides for {@link makeNodeContext}; `services` goes through `createNodeServices`. */
export type NodeContextOverrides = Partial<Omit<NodeContext, 'services'>> & {
  services?: NodeServicesInit;
};

/**
 * Builds a NodeContext for calling a node's `execute` directly in tests. Logs and heartbeats are
 * collected in `logs` / `heartbeats` (and still passed to `log` / `heartbeat` overrides). By default
 * nothing is on the HTTP allow-list, as in production, and the node has no credential.
 */
export function makeNodeContext(overrides: NodeContextOverrides = {}): TestNodeContext {
  const { services, log, heartbeat, ...rest } = overrides;
  const logs: LoggedEntry[] = [];
  const heartbeats: unknown[] = [];
  return {
    executionId: 'exec-test',
    flowId: 'flow-test',
    ownerId: 'owner-test',
    nodeId: 'node-test',
    attempt: 1,
    prev: null,
    signal: new AbortController().signal,
    credential: () => undefined,
    ...rest,
    services: createNodeServices(services),
    logs,
    heartbeats,
    log(level, message, meta) {
      logs.push({ level, message, ...(meta && { meta }) });
      log?.(level, message, meta);
    },
    heartbeat(details) {
      heartbeats.push(details);
      heartbeat?.(details);
    },
  };
}

/** `data` as the activity wrapper hands it to `execute`: parsed by the type's rendered schema. */
export function renderedData<R>(def: NodeDefinition<any, R>, data: unknown): R {
  return (def.renderedSchema ?? def.dataSchema).parse(data) as R;
}
