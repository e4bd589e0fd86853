import { notFound } from '../shared/errors';
import type { FlowNode, StepState } from '../shared/flow';
import type { ExecutionEventRow, FlowRow } from '../storage';
import type { Actor } from './actor';
import {
  RAN_EVENTS,
  SETTLED_EVENTS,
  type FlowNodeDeps,
  type NodeDataSource,
  type NodeInputView,
  type NodeOutputView,
} from './flow-node-types';
import type { StepView } from './run-views';
import { createStoredNodeTest } from './stored-node-test';

export type {
  FlowNodeDeps,
  NodeInputView,
  NodeOutputView,
  StoredNodeTestRequest,
  StoredNodeTestView,
} from './flow-node-types';

/** What the node answers are made of. */
type NodeStep = Pick<StepView, 'input' | 'output' | 'error' | 'port' | 'started_at' | 'finished_at'> & {
  status: StepView['status'] | null;
  /** What reached the node (seed 003's aggregated input). */
  upstream: unknown;
};

/** The node's step in a reported event (its output only when it was small). */
function eventStep(row: ExecutionEventRow): Partial<StepState> {
  const step = (row.data as { step?: Partial<StepState> }).step;
  return step && typeof step === 'object' ? step : {};
}

/**
 * A stored flow's nodes as seed 003 shows them: each node's latest input and output (from the
 * flow's newest run that ran it, or its newest stored test, whichever is newer) and tests of one
 * node as the flow defines it, whose results are kept.
 */
export function createFlowNodeService(deps: FlowNodeDeps) {
  const { repos } = deps;

  async function headNode(actor: Actor, flowId: string, nodeId: string): Promise<{ flow: FlowRow; node: FlowNode }> {
    const flow = await repos.flows.get(flowId, { ownerId: actor.ownerId });
    if (!flow) throw notFound('workflow');
    const node = flow.nodes.find((n) => n.id === nodeId);
    if (!node) throw notFound('node');
    return { flow, node };
  }

  /** The node's step in the run of `event` (Temporal's, or the reported one), and what reached it there. */
  async function stepIn(actor: Actor, flow: FlowRow, event: ExecutionEventRow, nodeId: string): Promise<NodeStep> {
    const steps = await deps.stepsOf(actor, event.execution_id).catch(() => [] as StepView[]);
    const byId = new Map(steps.map((st) => [st.node_id, st]));
    const s: Partial<StepView> | Partial<StepState> = byId.get(nodeId) ?? eventStep(event);
    // As the interpreter builds it: the outputs of the upstream nodes whose edge was taken.
    const fed = new Map<string, unknown>();
    for (const e of flow.edges) {
      const parent = e.target === nodeId ? byId.get(e.source) : undefined;
      if (parent?.status === 'completed' && (e.source_handle ?? 'default') === (parent.port ?? 'default')) fed.set(e.source, parent.output);
    }
    const run = fed.size ? undefined : await repos.executions.get(event.execution_id);
    return {
      status: s.status ?? null,
      upstream: fed.size === 0 ? (run?.input_data ?? null) : fed.size === 1 ? [...fed.values()][0] : Object.fromEntries(fed),
      input: s.input ?? null,
      output: s.output ?? null,
      error: s.error ?? null,
      port: s.port ?? null,
      started_at: s.started_at ?? null,
      finished_at: s.finished_at ?? null,
    };
  }

  /** The newer of the node's last run event of `types` and its last stored test. */
  async function newest(flow: FlowRow, nodeId: string, types: string[]) {
    const [event, test] = await Promise.all([
      repos.events.latestOfFlowNode(flow.id, nodeId, types),
      repos.nodeTests.latest(flow.id, nodeId),
    ]);
    if (test && (!event || test.created_at >= event.at)) return { test };
    return event ? { event } : {};
  }

  const nothing: NodeDataSource = { source: null, execution_id: null, test_id: null, status: null, at: null };

  return {
    /** The node's latest input; `ran: false` and nulls when it never ran (404: unknown flow or node). */
    async input(actor: Actor, flowId: string, nodeId: string): Promise<NodeInputView> {
      const { flow, node } = await headNode(actor, flowId, nodeId);
      const base = { workflow_id: flow.id, node_id: node.id, node_type: node.type };
      const found = await newest(flow, nodeId, RAN_EVENTS);
      if (found.test) {
        const t = found.test;
        return { ...base, ran: true, input_data: t.input_data, rendered_input: t.rendered_input, source: 'test', execution_id: null, test_id: t.id, status: t.success ? 'completed' : 'failed', at: t.created_at };
      }
      if (found.event) {
        const step = await stepIn(actor, flow, found.event, nodeId);
        return {
          ...base,
          ran: true,
          input_data: step.upstream,
          rendered_input: step.input,
          source: 'execution',
          execution_id: found.event.execution_id,
          test_id: null,
          status: step.status,
          at: step.started_at ?? found.event.at,
        };
      }
      return { ...base, ran: false, input_data: null, rendered_input: null, ...nothing };
    },

    /** The node's latest output (or error); `ran: false` and nulls when it never finished (404: unknown flow or node). */
    async output(actor: Actor, flowId: string, nodeId: string): Promise<NodeOutputView> {
      const { flow, node } = await headNode(actor, flowId, nodeId);
      const base = { workflow_id: flow.id, node_id: node.id, node_type: node.type };
      const found = await newest(flow, nodeId, SETTLED_EVENTS);
      if (found.test) {
        const t = found.test;
        return {
          ...base,
          ran: true,
          output_data: t.output,
          error: t.error,
          port: t.port,
          source: 'test',
          execution_id: null,
          test_id: t.id,
          status: t.success ? 'completed' : 'failed',
          at: t.created_at,
        };
      }
      if (found.event) {
        const step = await stepIn(actor, flow, found.event, nodeId);
        return {
          ...base,
          ran: true,
          output_data: step.output,
          error: step.error,
          port: step.port,
          source: 'execution',
          execution_id: found.event.execution_id,
          test_id: null,
          status: step.status,
          at: step.finished_at ?? found.event.at,
        };
      }
      return { ...base, ran: false, output_data: null, error: null, port: null, ...nothing };
    },

    /** Runs one stored node as the flow defines it through Temporal, and stores the result ({@link createStoredNodeTest}). */
    test: createStoredNodeTest(deps, headNode),
  };
}

/** A flow's nodes: their latest input and output, and stored node tests. */
export type FlowNodeService = ReturnType<typeof createFlowNodeService>;
