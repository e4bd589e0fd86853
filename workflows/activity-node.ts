import { proxyActivities, proxyLocalActivities, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import type { CompiledNode, NodeActivityInput, NodeActivityResult } from '../src/shared/flow';
import { contextFor, renderFor } from './evaluation';
import type { GraphRunner, NodeOutcome } from './graph-runner';

type NodeActivity = (input: NodeActivityInput) => Promise<NodeActivityResult>;

/** Activity options of a node: its own retry policy and timeout (resolved at compile time). */
export function activityOptionsFor(node: CompiledNode, activityId: string): ActivityOptions {
  const { retry, timeout_ms, heartbeat_ms } = node.exec;
  return {
    activityId,
    startToCloseTimeout: timeout_ms,
    ...(heartbeat_ms ? { heartbeatTimeout: heartbeat_ms } : {}),
    retry: {
      maximumAttempts: retry.max_attempts,
      initialInterval: retry.initial_interval_ms,
      backoffCoefficient: retry.backoff_coefficient,
      maximumInterval: retry.max_interval_ms,
    },
    // Shown in the Web UI's event history, so a run reads like the flow.
    summary: node.label ? `${node.label} (${node.id})` : node.id,
  };
}

/**
 * Local activity options of a node: the same id, timeout and retry policy. No heartbeat timeout (a
 * local activity runs inside the workflow task, which the worker keeps alive); retries whose
 * backoff passes a minute wait on a timer, as Temporal does for local activities.
 */
export function localActivityOptionsFor(node: CompiledNode, activityId: string): LocalActivityOptions {
  const { heartbeatTimeout: _heartbeat, ...options } = activityOptionsFor(node, activityId);
  return options;
}

/** Renders a node's `data` templates, leaving its raw fields (code, expressions) as written. */
async function renderData(node: CompiledNode, runner: GraphRunner): Promise<Record<string, unknown>> {
  const raw = node.exec.raw_fields;
  if (!raw?.length) return renderFor(node, runner, node.data);
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node.data)) if (!raw.includes(k)) rest[k] = v;
  const rendered = await renderFor(node, runner, rest);
  for (const k of raw) if (k in node.data) rendered[k] = node.data[k];
  return rendered;
}

/** Whether any string in `value` holds a `{{ }}` template. */
function containsTemplate(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(containsTemplate);
  if (value && typeof value === 'object') return Object.values(value).some(containsTemplate);
  return false;
}

/**
 * Runs an activity node: renders its `data` templates over the run context (when it has any),
 * then calls the activity named after its type with the node's own retry policy and timeout.
 * Written without `async`: each promise in the workflow sandbox costs a captured stack trace.
 */
export function runActivityNode(node: CompiledNode, runner: GraphRunner): Promise<NodeOutcome> {
  if (!containsTemplate(node.data)) return callActivity(node, runner, node.data);
  const yielded = runner.run.yieldIfBusy();
  if (yielded) return yielded.then(() => renderData(node, runner)).then((data) => callActivity(node, runner, data));
  return renderData(node, runner).then((data) => callActivity(node, runner, data));
}

function callActivity(node: CompiledNode, runner: GraphRunner, data: Record<string, unknown>): Promise<NodeOutcome> {
  const { execution_id, flow_id, owner_id } = runner.run.input;
  const activityId = `${runner.scopeKey}${node.id}`;
  const activities = node.exec.local
    ? proxyLocalActivities<Record<string, NodeActivity>>(localActivityOptionsFor(node, activityId))
    : proxyActivities<Record<string, NodeActivity>>(activityOptionsFor(node, activityId));
  runner.run.activityRan();
  // The activity's result is the outcome as it is (no `.then` to reshape it: one promise less).
  runner.steps[node.id].input = data;
  return activities[node.type]({
    execution_id,
    flow_id,
    owner_id,
    node_id: node.id,
    node_type: node.type,
    label: node.label,
    data,
    input: runner.upstreamInput(node.id),
    ...(node.exec.needs_context ? { context: contextFor(node, runner) } : {}),
    // Only the activity's input (its log lines name the loop item): the command is the same.
    ...(runner.scopeKey ? { scope: runner.scopeKey } : {}),
  });
}
