import type { CompiledNode } from '../src/shared/flow';
import { runActivityNode } from './activity-node';
import { controlHandlers } from './control-nodes';
import type { GraphRunner, NodeOutcome } from './graph-runner';

/** Runs one node: control nodes in the workflow, every other type as its activity. */
// Not `async`: an extra promise per node costs a captured stack trace in the workflow sandbox.
export function executeNode(node: CompiledNode, runner: GraphRunner): Promise<NodeOutcome> {
  if (node.exec.kind === 'control') {
    const handler = controlHandlers[node.type];
    if (!handler) return Promise.reject(new Error(`node ${node.id}: no interpreter for control node type ${node.type}`));
    const yielded = runner.run.pace();
    return yielded ? yielded.then(() => handler(node, runner)) : handler(node, runner);
  }
  return runActivityNode(node, runner);
}
