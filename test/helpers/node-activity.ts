import { type ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { memoryLogSink } from '../../activities/log-sink';
import { nodeActivity } from '../../activities/node-activity';
import { memoryCredentialProvider, type MemoryCredential } from '../../src/nodes/credentials';
import { type NodeDefinition } from '../../src/nodes/node-definition';
import { createNodeServices, type NodeServicesInit } from '../../src/nodes/node-services';
import type { NodeActivityInput, NodeActivityResult } from '../../src/shared/flow';

/** Options of {@link runNodeActivity}. */
export interface RunNodeActivityOptions {
  services?: NodeServicesInit;
  /** Shortcut for `services.credentials`: a memory provider over these. */
  credentials?: MemoryCredential[];
  input?: Partial<Omit<NodeActivityInput, 'data'>>;
  attempt?: number;
}

/** What {@link runNodeActivity} observed. */
export interface NodeActivityRun {
  /** The activity's result, or `undefined` when it threw. */
  result?: NodeActivityResult;
  /** What the activity threw (an ApplicationFailure for node failures). */
  error?: ApplicationFailure & Error;
  /** Every log entry the activity wrote. */
  logs: ReturnType<typeof memoryLogSink>['entries'];
  /** Heartbeats, with the time each arrived. */
  heartbeats: { at: number; details: unknown }[];
  env: MockActivityEnvironment;
}

/**
 * Runs a node definition through the real activity wrapper (`activities/node-activity.ts`) in a
 * mock Temporal activity context: rendered-data validation, credentials, heartbeats, logs and error
 * mapping behave as on a worker. `data` is the rendered data the workflow would send.
 */
export async function runNodeActivity(
  def: NodeDefinition,
  data: Record<string, unknown>,
  options: RunNodeActivityOptions = {},
): Promise<NodeActivityRun> {
  const logSink = memoryLogSink();
  const services = createNodeServices({
    ...(options.credentials && { credentials: memoryCredentialProvider(options.credentials) }),
    ...options.services,
  });
  const activity = nodeActivity(def, { services, logSink });
  // The SDK logs every failed activity at WARN; the tests look at the failures themselves.
  const env = new MockActivityEnvironment({ attempt: options.attempt ?? 1 }, { logger: new DefaultLogger('ERROR') });
  const heartbeats: NodeActivityRun['heartbeats'] = [];
  env.on('heartbeat', (details: unknown) => heartbeats.push({ at: Date.now(), details }));
  const input: NodeActivityInput = {
    execution_id: 'exec-test',
    flow_id: 'flow-test',
    owner_id: 'owner-test',
    node_id: 'node-test',
    node_type: def.type,
    input: null,
    ...options.input,
    data,
  };
  const run: NodeActivityRun = { logs: logSink.entries, heartbeats, env };
  try {
    run.result = await env.run(activity, input);
  } catch (err) {
    run.error = err as ApplicationFailure & Error;
  }
  return run;
}
