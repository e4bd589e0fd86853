import { proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import type { CompiledNode, RunFlowInput, RunFlowResult } from '../src/shared/flow';
import { RUN_FLOW, workflowIdFor } from '../src/shared/flow';
import { FAILURE } from '../src/shared/failures';
import { renderFor } from './evaluation';
import type { SystemActivities } from '../src/shared/system-activities';
import type { GraphRunner, NodeOutcome } from './graph-runner';
import { searchAttributesFor } from '../src/shared/search-attributes';

const { prepareSubFlow } = proxyActivities<SystemActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [FAILURE.notFound, FAILURE.invalidDefinition] },
});

/** The `sub-flow` node: a child `runFlow` of another stored flow, pinned to a version or the latest. */
export async function runSubFlowNode(node: CompiledNode, runner: GraphRunner): Promise<NodeOutcome> {
  const data = (await renderFor(node, runner, node.data)) as {
    workflow_id: string;
    version?: number;
    input?: unknown;
  };
  const parent = runner.run.input;
  const child: RunFlowInput = await prepareSubFlow({
    parent_execution_id: parent.execution_id,
    owner_id: parent.owner_id,
    workflow_id: String(data.workflow_id),
    version: data.version,
    input: data.input === undefined ? runner.upstreamInput(node.id) : data.input,
  });
  // startChild + result issues the same commands as executeChild; the handle lets pause reach it.
  const handle = await startChild<(i: RunFlowInput) => Promise<RunFlowResult>>(RUN_FLOW.workflow, {
    workflowId: workflowIdFor(child.execution_id),
    args: [child],
    typedSearchAttributes: searchAttributesFor(child),
    memo: { parent_workflow_id: workflowInfo().workflowId },
  });
  const result = await runner.run.childResult<RunFlowResult>(handle);
  return {
    output: { result: result.output, execution_id: child.execution_id, workflow_version: child.flow_version },
    port: 'default',
    input: data,
  };
}
