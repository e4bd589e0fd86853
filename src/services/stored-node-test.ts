import { unprocessable } from '../shared/errors';
import type { CarriedState, FlowGraph, FlowNode, StepState } from '../shared/flow';
import type { FlowRow, NodeTestResultRow } from '../storage';
import type { Actor } from './actor';
import { RAN_EVENTS, type FlowNodeDeps, type StoredNodeTestRequest, type StoredNodeTestView } from './flow-node-types';
import { assertTestable, compileTestGraph, DEFAULT_NODE_TEST_TIMEOUT_MS, type ExecutedNodeTest } from './node-test';
import type { StepView } from './run-views';

/** A stored flow's head and one of its nodes; 404 for an unknown flow or node. */
export type HeadNode = (actor: Actor, flowId: string, nodeId: string) => Promise<{ flow: FlowRow; node: FlowNode }>;

/** Nodes reachable from `nodeId` (its descendants): their outputs are not visible to it in a flow. */
function descendants(graph: FlowGraph, nodeId: string): Set<string> {
  const seen = new Set<string>();
  const queue = [nodeId];
  while (queue.length) {
    const id = queue.pop() as string;
    for (const e of graph.edges) {
      if (e.source === id && !seen.has(e.target)) {
        seen.add(e.target);
        queue.push(e.target);
      }
    }
  }
  return seen;
}

function testView(t: NodeTestResultRow, result?: ExecutedNodeTest): StoredNodeTestView {
  return {
    id: t.id,
    success: t.success,
    workflow_id: t.flow_id,
    workflow_version: t.flow_version,
    node_id: t.node_id,
    node_type: t.node_type,
    form_values: t.form_values,
    input_data: t.input_data,
    rendered_input: t.rendered_input,
    output: t.output,
    error: t.error,
    port: t.port,
    attempt: t.attempt,
    logs: result?.logs ?? [],
    duration_ms: t.duration_ms,
    session_id: t.session_id,
    temporal: { workflow_id: t.temporal_workflow_id, run_id: t.temporal_run_id },
    created_at: t.created_at,
  };
}

/**
 * Runs one stored node as the flow defines it (data with `form_values` laid over it,
 * credentials, retry policy and timeout) through Temporal, in the context of the flow's
 * latest run that ran it: the outputs of that run's upstream nodes and its input. `input_data`
 * replaces the node's input. The result is stored (the node's last results are kept).
 */
export function createStoredNodeTest(deps: FlowNodeDeps, headNode: HeadNode) {
  const { repos } = deps;

  return async function test(actor: Actor, flowId: string, nodeId: string, req: StoredNodeTestRequest): Promise<StoredNodeTestView> {
    const { flow, node } = await headNode(actor, flowId, nodeId);
    assertTestable(node.type);
    const parents = [...new Set(flow.edges.filter((e) => e.target === nodeId).map((e) => e.source))];
    const later = descendants(flow, nodeId);

    // The context a flow run gives the node: the newest run that ran it, else the newest run.
    const ranIn = await repos.events.latestOfFlowNode(flow.id, nodeId, RAN_EVENTS);
    const baseRunId = ranIn?.execution_id ?? (await repos.executions.list({ flowId: flow.id, limit: 1 })).items[0]?.id;
    const baseRun = baseRunId ? await repos.executions.get(baseRunId) : undefined;
    const baseSteps = baseRun ? await deps.stepsOf(actor, baseRun.id).catch(() => [] as StepView[]) : [];
    const outputs = new Map<string, unknown>();
    const types = new Map(flow.nodes.map((n) => [n.id, n.type]));
    for (const s of baseSteps) {
      if (s.node_id === nodeId || later.has(s.node_id) || !types.has(s.node_id)) continue;
      if (s.status === 'completed' || s.status === 'failed') outputs.set(s.node_id, s.output);
    }
    let inputData: unknown = baseRun?.input_data ?? {};

    if (req.input_data !== undefined) {
      if (parents.length === 0) inputData = req.input_data;
      else if (parents.length === 1) outputs.set(parents[0], req.input_data);
      else {
        const given = req.input_data;
        const keys = given && typeof given === 'object' && !Array.isArray(given) ? Object.keys(given) : undefined;
        const strangers = keys?.filter((k) => !parents.includes(k)) ?? [];
        if (!keys || strangers.length) {
          throw unprocessable('input_data does not match the node\'s upstream nodes', {
            input_data: `node "${nodeId}" has several upstream nodes (${parents.join(', ')}): give input_data as an object keyed by them`,
          });
        }
        for (const k of keys) outputs.set(k, (given as Record<string, unknown>)[k]);
      }
    }

    // The tested node first (its invalid fields are reported as data.<field>), then stand-ins
    // for the nodes whose outputs form its context, seeded as completed so they never run.
    const { on_error: _onError, position: _position, ...settings } = node;
    const tested: FlowNode = { ...settings, data: { ...node.data, ...(req.form_values ?? {}) } };
    const context = [...outputs.keys()];
    const definition = compileTestGraph({
      nodes: [tested, ...context.map((id) => ({ id, type: 'noop', data: {} }))],
      edges: parents.filter((p) => outputs.has(p)).map((p) => ({ source: p, target: nodeId })),
    });
    const steps: Record<string, StepState> = {};
    const vars: Record<string, unknown> = {};
    for (const id of context) {
      steps[id] = { node_id: id, node_type: types.get(id) ?? 'noop', status: 'completed', attempt: 1, output: outputs.get(id), port: 'default' };
      const result = (outputs.get(id) as { result?: unknown } | undefined)?.result;
      if (types.get(id) === 'set' && result && typeof result === 'object') Object.assign(vars, result);
    }
    const carried: CarriedState = { steps, vars, edge_state: {} };
    // What reaches the node, as the interpreter will build it from this definition.
    const fed = parents.filter((p) => outputs.has(p));
    const upstream = fed.length === 0 ? inputData : fed.length === 1 ? outputs.get(fed[0]) : Object.fromEntries(fed.map((p) => [p, outputs.get(p)]));

    const executed = await deps.execute(actor, {
      definition,
      nodeId,
      flowId: flow.id,
      flowVersion: flow.version,
      ownerId: flow.owner_id,
      inputData,
      carried,
      timeoutMs: req.timeout_ms ?? DEFAULT_NODE_TEST_TIMEOUT_MS,
    });
    const stored = await repos.nodeTests.insert({
      flow_id: flow.id,
      node_id: nodeId,
      node_type: node.type,
      flow_version: flow.version,
      owner_id: flow.owner_id,
      user_id: actor.userId,
      session_id: req.session_id ?? null,
      form_values: req.form_values ?? {},
      input_data: upstream ?? null,
      rendered_input: executed.input,
      output: executed.output,
      error: executed.error,
      success: executed.success,
      port: executed.port,
      attempt: executed.attempt,
      duration_ms: Math.round(executed.duration_ms),
      temporal_workflow_id: executed.temporal.workflow_id,
      temporal_run_id: executed.temporal.run_id,
    });
    return testView(stored, executed);
  };
}
