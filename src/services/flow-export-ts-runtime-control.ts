/**
 * Runtime helpers of an exported TypeScript workflow (docs/export-typescript.md): loops over items
 * with their concurrency and error handling, sub-flows run as the platform's own run workflow, and
 * terminate nodes ending the run (or a loop item).
 */
import { RUN_FLOW } from '../shared/flow';
import type { Helper } from './flow-export-ts-runtime-helper';

/** `loop`, `subFlow` and `Terminated`, in the order the exported file carries them. */
export const CONTROL_HELPERS = {
  loop: {
    uses: ['types', 'describe', 'terminate'],
    imports: ['ApplicationFailure'],
    code: `/**
 * The loop node: runs \`body\` once per item, \`concurrency\` at a time, each with its own copy of the
 * context (plus \`item\` and \`index\`). \`stop\` fails at the first failed item; \`continue\` records it.
 */
async function loop(
  ctx: Context,
  items: unknown,
  options: { concurrency: number; error_handling: 'stop' | 'continue' },
  body: (ctx: Context, item: unknown, index: number) => Promise<unknown>,
): Promise<Output> {
  if (!Array.isArray(items)) {
    throw ApplicationFailure.create({ type: 'Error', message: \`loop: items must evaluate to an array, got \${items === null ? 'null' : typeof items}\` });
  }
  const results: unknown[] = new Array(items.length).fill(null);
  const errors: { index: number; node_id: string | null; error: ReturnType<typeof describe> }[] = [];
  let next = 0;
  let stopped = false;
  const lane = async () => {
    while (next < items.length && !stopped) {
      const index = next++;
      const itemContext = { ...ctx, vars: { ...ctx.vars }, item: items[index], index };
      try {
        results[index] = await body(itemContext, items[index], index);
      } catch (err) {
        if (err instanceof Terminated) {
          results[index] = err.data.message ?? null;
          continue;
        }
        const failed = err instanceof ApplicationFailure && err.type === 'NodeFailed' ? (err.details?.[0] as { node_id?: string }) : undefined;
        errors.push({ index, node_id: failed?.node_id ?? null, error: describe(err) });
        if (options.error_handling === 'stop') stopped = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, items.length)) }, lane));
  if (stopped) {
    const first = errors[0];
    throw ApplicationFailure.create({ type: 'Error', message: \`loop item \${first.index} failed at node \${first.node_id}: \${first.error.message}\` });
  }
  return errors.length ? { result: results, errors } : { result: results };
}`,
  },
  subFlow: {
    uses: ['types'],
    imports: ['executeChild', 'proxyActivities', 'workflowInfo'],
    code: `/** What runs another stored flow: the platform's prepareSubFlow activity and its runFlow workflow. */
interface PlatformActivities {
  prepareSubFlow(input: { parent_execution_id: string; owner_id: string; workflow_id: string; version?: number; input: unknown }): Promise<{
    execution_id: string;
    flow_version: number;
  }>;
}

const { prepareSubFlow } = proxyActivities<PlatformActivities>({
  taskQueue: PLATFORM_TASK_QUEUE,
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['NotFound', 'InvalidDefinition'] },
});

/**
 * The sub-flow node: the other flow stays on the platform. It runs as the platform's own runFlow
 * child workflow on the platform's task queue, and shows in its runs with this run as its parent.
 */
async function subFlow(data: Record<string, unknown>, upstreamInput: unknown): Promise<Output> {
  const child = await prepareSubFlow({
    parent_execution_id: workflowInfo().runId,
    owner_id: FLOW.owner_id,
    workflow_id: String(data.workflow_id),
    version: data.version === undefined ? undefined : Number(data.version),
    input: data.input === undefined ? upstreamInput : data.input,
  });
  const result = await executeChild<(input: unknown) => Promise<{ output: unknown }>>('${RUN_FLOW.workflow}', {
    taskQueue: PLATFORM_TASK_QUEUE,
    workflowId: \`run-\${child.execution_id}\`,
    args: [child],
    memo: { parent_workflow_id: workflowInfo().workflowId },
  });
  return { result: result.output, execution_id: child.execution_id, workflow_version: child.flow_version };
}`,
  },
  terminate: {
    imports: ['ApplicationFailure'],
    code: `/** Thrown by a terminate node: ends the run (or, in a loop body, that item) at once. */
class Terminated extends Error {
  constructor(readonly data: Record<string, unknown>) {
    super(data.message === undefined ? '' : String(data.message));
  }

  /** The run's end: its result (the message) when completed, a FlowTerminated failure when failed. */
  finish(): unknown {
    if (this.data.status !== 'failed') return this.data.message ?? null;
    throw ApplicationFailure.create({ type: 'FlowTerminated', message: this.message || 'terminated', nonRetryable: true });
  }
}`,
  },
} satisfies Record<string, Helper>;
