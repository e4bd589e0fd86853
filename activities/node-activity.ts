import { ApplicationFailure, Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { RUN_FLOW, type NodeActivityInput, type NodeActivityResult } from '../src/shared/flow';
import { loopPlaceOf } from '../src/shared/step-scope';
import { resolveNodeCredential, type NodeCredential } from '../src/nodes/credentials';
import { NodeError, type NodeDefinition } from '../src/nodes/node-definition';
import { createNodeServices, type NodeServicesInit } from '../src/nodes/node-services';
import { secretRedactor, type SecretRedactor } from '../src/nodes/secret-redactor';
import type { LogSink, NodeLogEntry } from './log-sink';

/** What node activities need from the worker. */
export interface NodeActivityDeps {
  /** Completed with defaults by {@link createNodeServices} (a complete NodeServices passes as is). */
  services: NodeServicesInit;
  logSink: LogSink;
  /** Reports a failure to write logs (never fails the node). */
  onLogError?: (err: unknown) => void;
}

/** How often the wrapper heartbeats while `execute` runs, for types that declare `defaults.heartbeat_ms`. */
export const HEARTBEAT_INTERVAL_MS = 1_000;

/** Readable one-line summary of zod issues: `url: Invalid url; method: …`. */
function describeIssues(issues: { path: (string | number)[]; message: string }[]): string {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : 'data'}: ${i.message}`).join('; ');
}

/** The ApplicationFailure Temporal records for a node's error, with secrets scrubbed. */
function toFailure(err: unknown, attempt: number, redact: SecretRedactor): ApplicationFailure {
  const e = err instanceof Error ? err : new Error(String(err));
  const nodeErr = err instanceof NodeError ? err : undefined;
  const retryable = nodeErr ? nodeErr.options.retryable !== false : true;
  const details = nodeErr?.options.details;
  return ApplicationFailure.create({
    message: redact.text(e.message),
    type: nodeErr?.options.type ?? e.name ?? 'Error',
    nonRetryable: !retryable,
    ...(nodeErr?.options.nextRetryDelayMs !== undefined ? { nextRetryDelay: nodeErr.options.nextRetryDelayMs } : {}),
    details: [{ attempt, ...(details !== undefined ? { details: redact.value(details) } : {}) }],
  });
}

/**
 * Wraps a node definition's `execute` as a Temporal activity. Before `execute`: parses the rendered
 * `data` with the type's `renderedSchema` (or `dataSchema`) and resolves the credential it names.
 * While it runs: heartbeats every second (types with `defaults.heartbeat_ms`) and collects logs.
 * After: maps failures to ApplicationFailures (non-retryable for invalid data, credential problems
 * and `NodeError({retryable:false})`), and scrubs the credential's secrets from the output, the
 * logs, heartbeat details and errors.
 */
export function nodeActivity(
  def: NodeDefinition,
  deps: NodeActivityDeps,
): (input: NodeActivityInput) => Promise<NodeActivityResult> {
  const execute = def.execute;
  if (!execute) throw new Error(`node type ${def.type} has no execute()`);
  const schema = def.renderedSchema ?? def.dataSchema;
  const services = createNodeServices(deps.services);
  return async (input) => {
    const actx = Context.current();
    const attempt = actx.info.attempt;
    const started = Date.now();
    let redact = secretRedactor([]);
    const logs: NodeLogEntry[] = [];
    // Inside a loop body every line says which item it belongs to.
    const place = loopPlaceOf(input.scope);
    const log = (level: NodeLogEntry['level'], message: string, data?: Record<string, unknown>) =>
      logs.push({
        execution_id: input.execution_id,
        node_id: input.node_id,
        node_type: def.type,
        level,
        message,
        data: data ?? null,
        timestamp: new Date().toISOString(),
        ...place,
      });
    const flush = async (level: NodeLogEntry['level'], message: string, data?: Record<string, unknown>) => {
      log(level, message, data);
      logs[logs.length - 1].duration_ms = Date.now() - started;
      const scrubbed = redact.active
        ? logs.map((entry) => ({ ...entry, message: redact.text(entry.message), data: redact.value(entry.data) }))
        : logs;
      // A node test's answer reads the lines as soon as the run ends: they are written first.
      const now = actx.info.workflowExecution?.workflowId.startsWith(RUN_FLOW.nodeTestIdPrefix) ?? false;
      await deps.logSink.write(scrubbed, { now }).catch((err) => deps.onLogError?.(err));
    };

    const parsed = schema.safeParse(input.data);
    if (!parsed.success) {
      const message = `invalid ${def.type} data: ${describeIssues(parsed.error.issues)}`;
      await flush('error', message, { attempt });
      throw ApplicationFailure.create({ message, type: 'InvalidNodeData', nonRetryable: true, details: [{ attempt }] });
    }

    let details: unknown;
    const beat = () => actx.heartbeat(redact.value(details));
    const heartbeat = def.defaults?.heartbeat_ms !== undefined ? setInterval(beat, HEARTBEAT_INTERVAL_MS) : undefined;
    try {
      let credential: NodeCredential | undefined;
      const resolved = await resolveNodeCredential(def, parsed.data, input.owner_id, services.credentials);
      if (resolved) {
        credential = resolved.credential;
        redact = secretRedactor(resolved.secrets);
      }
      const res = await execute(parsed.data, {
        executionId: input.execution_id,
        flowId: input.flow_id,
        ownerId: input.owner_id,
        nodeId: input.node_id,
        attempt,
        prev: input.input,
        context: input.context,
        signal: actx.cancellationSignal,
        heartbeat: (next) => {
          details = next;
          beat();
        },
        log,
        credential: () => credential,
        services,
      });
      await flush('info', `${def.type} completed`, { attempt, ...(credential && { credential: credential.name }) });
      return { output: redact.value(res.output), ...(res.port ? { port: res.port } : {}), attempt };
    } catch (err) {
      if (err instanceof CancelledFailure || actx.cancellationSignal.aborted) {
        await flush('warn', `${def.type} cancelled`, { attempt });
        throw err;
      }
      const failure = toFailure(err, attempt, redact);
      await flush('error', failure.message, { attempt, retryable: !failure.nonRetryable });
      throw failure;
    } finally {
      clearInterval(heartbeat);
    }
  };
}
