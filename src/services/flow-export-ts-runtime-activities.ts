/**
 * Runtime helpers of an exported TypeScript workflow (docs/export-typescript.md): activity nodes
 * as calls of the platform's node activities on its task queue, and a failed node's `error` as
 * the platform describes it.
 */
import type { Helper } from './flow-export-ts-runtime-helper';

/** `describe` and `callNode`, in the order the exported file carries them. */
export const ACTIVITY_HELPERS = {
  describe: {
    imports: ['ActivityFailure', 'ApplicationFailure', 'ChildWorkflowFailure', 'isCancellation', 'TemporalFailure'],
    code: `/** What a failed node's \`error\` shows: the node's own error, unwrapped from Temporal's failures. */
function describe(err: unknown): { message: string; type?: string; details?: unknown } {
  let e = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) {
    const details = e.details && e.details.length ? e.details[0] : undefined;
    if (e.type === 'NodeFailed' && details && typeof details === 'object' && 'error' in details) {
      return (details as { error: { message: string; type?: string; details?: unknown } }).error;
    }
    return { message: e.message, type: e.type ?? undefined, ...(details !== undefined ? { details } : {}) };
  }
  if (e instanceof TemporalFailure) return { message: e.message, type: e.name };
  if (e instanceof Error) return { message: e.message, type: e.name };
  return { message: String(e) };
}`,
  },
  callNode: {
    uses: ['types', 'describe'],
    imports: ['ApplicationFailure', 'isCancellation', 'proxyActivities', 'workflowInfo', 'type ActivityOptions'],
    code: `/** What the platform's node activities take (NodeActivityInput) and return (NodeActivityResult). */
interface NodeActivityInput {
  execution_id: string;
  flow_id: string;
  owner_id: string;
  node_id: string;
  node_type: string;
  label?: string;
  data: Record<string, unknown>;
  input: unknown;
  context?: Record<string, unknown>;
}
type NodeActivity = (input: NodeActivityInput) => Promise<{ output: Output; attempt: number }>;

/** A node of the flow that runs as the platform's activity of its type. */
interface ActivityNode {
  id: string;
  type: string;
  label?: string;
  /** Defaults to the node id; inside loop bodies \`<loop>/<index>/<node>\`, as on the platform. */
  activityId?: string;
}

/**
 * Calls the platform's activity for \`node.type\` on its task queue, with the node's retry policy and
 * timeout; the activity resolves credentials, tools and data sources of the flow's owner.
 */
async function callNode(
  node: ActivityNode,
  data: Record<string, unknown>,
  input: unknown,
  options: ActivityOptions,
  context?: Context,
): Promise<Output> {
  const activities = proxyActivities<Record<string, NodeActivity>>({
    ...options,
    taskQueue: PLATFORM_TASK_QUEUE,
    activityId: node.activityId ?? node.id,
    summary: node.label ? \`\${node.label} (\${node.id})\` : node.id,
  });
  try {
    const { output } = await activities[node.type]({
      execution_id: workflowInfo().runId,
      flow_id: FLOW.id,
      owner_id: FLOW.owner_id,
      node_id: node.id,
      node_type: node.type,
      label: node.label,
      data,
      input,
      ...(context ? { context } : {}),
    });
    return output;
  } catch (err) {
    if (isCancellation(err)) throw err;
    const error = describe(err);
    throw ApplicationFailure.create({
      type: 'NodeFailed',
      message: \`node \${node.id} failed: \${error.message}\`,
      details: [{ node_id: node.id, error }],
      nonRetryable: true,
    });
  }
}`,
  },
} satisfies Record<string, Helper>;
