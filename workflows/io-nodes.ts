import type { CompiledNode } from '../src/shared/flow';
import { withInputDefaults, type InputNodeData } from '../src/shared/input-fields';
import { renderFor } from './evaluation';
import type { GraphRunner, NodeOutcome } from './graph-runner';

// Seed 001's `input` and `output` nodes. Only definitions compiled since these types exist contain
// them (before, both spellings compiled to start / end), so no run recorded earlier reaches this code.

function outcome(result: unknown): NodeOutcome {
  return { output: { result: result === undefined ? null : result }, port: 'default' };
}

function resultOf(runner: GraphRunner, nodeId: string): unknown {
  return (runner.context[nodeId] as { result?: unknown } | undefined)?.result ?? null;
}

/** `input`: the run's input with the node's declared defaults (the API has applied them already; applying twice changes nothing). */
export async function runInputNode(node: CompiledNode, runner: GraphRunner): Promise<NodeOutcome> {
  return outcome(withInputDefaults(runner.context.input, node.data as InputNodeData));
}

/** `output`: its rendered `output`, else the upstream `result` (`{node_id: result}` for several, the run input for none). */
export async function runOutputNode(node: CompiledNode, runner: GraphRunner): Promise<NodeOutcome> {
  if (node.data.output !== undefined) return outcome(await renderFor(node, runner, node.data.output));
  const parents = runner.takenParents(node.id);
  if (parents.length === 0) return outcome(runner.context.input);
  if (parents.length === 1) return outcome(resultOf(runner, parents[0]));
  return outcome(Object.fromEntries(parents.map((id) => [id, resultOf(runner, id)])));
}

/**
 * What an `end` without `output` ends with when the one node it follows is an `output` node: that
 * node's shaped `result`, not its whole output object. `undefined` otherwise (the end passes on its
 * upstream output, as it always did).
 */
export function shapedByOutputNode(node: CompiledNode, runner: GraphRunner): { value: unknown } | undefined {
  const parents = runner.takenParents(node.id);
  if (parents.length !== 1) return undefined;
  const parent = runner.graph.nodes.find((n) => n.id === parents[0]);
  return parent?.type === 'output' ? { value: resultOf(runner, parent.id) } : undefined;
}
