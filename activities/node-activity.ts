import { ApplicationFailure, Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { NodeActivityInput, NodeActivityResult } from '../src/shared/flow';
import { NodeError, type NodeDefinition, type NodeServices } from '../src/nodes/node-definition';
import type { LogSink, NodeLogEntry } from './log-sink';

/** What node activities need from the worker. */
export interface NodeActivityDeps {
  services: NodeServices;
  logSink: LogSink;
  /** Reports a failure to write logs (never fails the node). */
  onLogError?: (err: unknown) => void;
}

/** Readable one-line summary of zod issues: `url: Invalid url; method: …`. */
function describeIssues(issues: { path: (string | number)[]; message: string }[]): string {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : 'data'}: ${i.message}`).join('; ');
}

/**
 * Wraps a node definition's `execute` as a Temporal activity: validates the rendered `data`,
 * gives the node its context (logs, heartbeat, cancellation), and maps failures to
 * ApplicationFailures (non-retryable for config errors and `NodeError({retryable:false})`).
 */
export function nodeActivity(
  def: NodeDefinition,
  deps: NodeActivityDeps,
): (input: NodeActivityInput) => Promise<NodeActivityResult> {
  const execute = def.execute;
  if (!execute) throw new Error(`node type ${def.type} has no execute()`);
  return async (input) => {
    const actx = Context.current();
    const attempt = actx.info.attempt;
    const started = Date.now();
    const logs: NodeLogEntry[] = [];
    const log = (level: NodeLogEntry['level'], message: string, data?: Record<string, unknown>) =>
      logs.push({
        execution_id: input.execution_id,
        node_id: input.node_id,
        node_type: def.type,
        level,
        message,
        data: data ?? null,
        timestamp: new Date().toISOString(),
      });
    const flush = async (level: NodeLogEntry['level'], message: string, data?: Record<string, unknown>) => {
      logs.push({
        execution_id: input.execution_id,
        node_id: input.node_id,
        node_type: def.type,
        level,
        message,
        data: data ?? null,
        duration_ms: Date.now() - started,
        timestamp: new Date().toISOString(),
      });
      await deps.logSink.write(logs).catch((err) => deps.onLogError?.(err));
    };

    const parsed = def.dataSchema.safeParse(input.data);
    if (!parsed.success) {
      const message = `invalid ${def.type} data: ${describeIssues(parsed.error.issues)}`;
      await flush('error', message, { attempt });
      throw ApplicationFailure.create({ message, type: 'InvalidNodeData', nonRetryable: true, details: [{ attempt }] });
    }
    try {
      const res = await execute(parsed.data, {
        executionId: input.execution_id,
        flowId: input.flow_id,
        ownerId: input.owner_id,
        nodeId: input.node_id,
        attempt,
        input: input.input,
        context: input.context,
        signal: actx.cancellationSignal,
        heartbeat: (details) => actx.heartbeat(details),
        log,
        services: deps.services,
      });
      await flush('info', `${def.type} completed`, { attempt });
      return { output: res.output, ...(res.port ? { port: res.port } : {}), attempt };
    } catch (err) {
      if (err instanceof CancelledFailure || actx.cancellationSignal.aborted) {
        await flush('warn', `${def.type} cancelled`, { attempt });
        throw err;
      }
      const e = err instanceof Error ? err : new Error(String(err));
      const nodeErr = err instanceof NodeError ? err : undefined;
      const retryable = nodeErr ? nodeErr.options.retryable !== false : true;
      await flush('error', e.message, { attempt, retryable });
      throw ApplicationFailure.create({
        message: e.message,
        type: nodeErr?.options.type ?? e.name ?? 'Error',
        nonRetryable: !retryable,
        ...(nodeErr?.options.nextRetryDelayMs !== undefined ? { nextRetryDelay: nodeErr.options.nextRetryDelayMs } : {}),
        details: [{ attempt, ...(nodeErr?.options.details !== undefined ? { details: nodeErr.options.details } : {}) }],
      });
    }
  };
}
