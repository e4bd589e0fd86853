import { type NodeContext, type NodeLogLevel, type NodeServices } from '../../src/nodes/node-definition';

/** One `ctx.log` call recorded by {@link makeNodeContext}. */
export interface LoggedEntry {
  level: NodeLogLevel;
  message: string;
  meta?: Record<string, unknown>;
}

/** A NodeContext that records what the node logged and heartbeated. */
export type TestNodeContext = NodeContext & { logs: LoggedEntry[]; heartbeats: unknown[] };

/** Overrides for {@link makeNodeContext}; `services` is merged field by field. */
export type NodeContextOverrides = Partial<Omit<NodeContext, 'services'>> & {
  services?: Partial<NodeServices>;
};

/**
 * Builds a NodeContext for calling a node's `execute` directly in tests. Logs and heartbeats are
 * collected in `logs` / `heartbeats` (and still passed to `log` / `heartbeat` overrides). By default
 * nothing is on the HTTP allow-list, as in production.
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
    input: null,
    signal: new AbortController().signal,
    ...rest,
    services: {
      httpAllowedHosts: [],
      llm: { model: 'test-model' },
      smtp: { from: 'flows@localhost' },
      ...services,
    },
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
