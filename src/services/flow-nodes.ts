import { notFound, unprocessable } from '../shared/errors';
import type { CarriedState, FlowGraph, FlowNode, StepState } from '../shared/flow';
import type { ExecutionEventRow, FlowRow, NodeTestResultRow, Repos } from '../storage';
import type { Actor } from './actor';
import {
  assertTestable,
  compileTestGraph,
  DEFAULT_NODE_TEST_TIMEOUT_MS,
  type ExecutedNodeTest,
  type NodeTestResult,
  type PreparedNodeTest,
} from './node-test';
import type { StepView } from './run-views';

/** What reading and testing a flow's nodes needs. */
export interface FlowNodeDeps {
  repos: Repos;
  /** A run's top-level steps, as `GET /executions/{id}` shows them. */
  stepsOf(actor: Actor, executionId: string): Promise<StepView[]>;
  /** Runs a prepared node test through Temporal. */
  execute(actor: Actor, test: PreparedNodeTest): Promise<ExecutedNodeTest>;
}

/** Where a node's input or output was found. */
interface NodeDataSource {
  /** `execution`: a run of the flow; `test`: a stored node test; null: the node never ran. */
  source: 'execution' | 'test' | null;
  execution_id: string | null;
  test_id: string | null;
  /** The step's status in that run (`running`, `completed`, `failed`…), or the test's outcome. */
  status: string | null;
  /** When the node started (input) or finished (output) there. */
  at: string | null;
}

/** `GET /workflows/{id}/nodes/{node_id}/input`. */
export interface NodeInputView extends NodeDataSource {
  workflow_id: string;
  node_id: string;
  node_type: string;
  ran: boolean;
  /** What reached the node: its upstream node's output (`{parent: output}` for several), or the run input when none. */
  input_data: unknown;
  /** The node's data as rendered for that run (the step's `input` in `GET /executions/{id}`). */
  rendered_input: unknown;
}

/** `GET /workflows/{id}/nodes/{node_id}/output`. */
export interface NodeOutputView extends NodeDataSource {
  workflow_id: string;
  node_id: string;
  node_type: string;
  ran: boolean;
  output_data: unknown;
  error: StepState['error'];
  /** The output port the node took (`default`, `true`…). */
  port: string | null;
}

/** Body of `POST /workflows/{id}/nodes/{node_id}/test` (seed 003's "execute and save node"). */
export interface StoredNodeTestRequest {
  /** Fields laid over the node's stored `data` for this test only (the flow is not changed). */
  form_values?: Record<string, unknown>;
  /** The node's input: its upstream output (`{parent: output}` with several upstream nodes), or the run input when it has none. */
  input_data?: unknown;
  session_id?: string;
  timeout_ms?: number;
}

/** What a stored node test answers. */
export interface StoredNodeTestView extends NodeTestResult {
  id: string;
  workflow_id: string;
  workflow_version: number;
  node_id: string;
  node_type: string;
  form_values: Record<string, unknown>;
  input_data: unknown;
  rendered_input: unknown;
  session_id: string | null;
  created_at: string;
}

/** What the node answers are made of. */
type NodeStep = Pick<StepView, 'input' | 'output' | 'error' | 'port' | 'started_at' | 'finished_at'> & {
  status: StepView['status'] | null;
  /** What reached the node (seed 003's aggregated input). */
  upstream: unknown;
};

/** Events that show a node ran (an input exists) and that it settled (an output exists). */
const RAN_EVENTS = ['node_started', 'node_waiting', 'node_completed', 'node_failed'];
const SETTLED_EVENTS = ['node_completed', 'node_failed'];

/** The node's step in a reported event (its output only when it was small). */
function eventStep(row: ExecutionEventRow): Partial<StepState> {
  const step = (row.data as { step?: Partial<StepState> }).step;
  return step && typeof step === 'object' ? step : {};
}

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

    /**
     * Runs one stored node as the flow defines it (data with `form_values` laid over it,
     * credentials, retry policy and timeout) through Temporal, in the context of the flow's
     * latest run that ran it: the outputs of that run's upstream nodes and its input. `input_data`
     * replaces the node's input. The result is stored (the node's last results are kept).
     */
    async test(actor: Actor, flowId: string, nodeId: string, req: StoredNodeTestRequest): Promise<StoredNodeTestView> {
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
    },
  };
}

/** A flow's nodes: their latest input and output, and stored node tests. */
export type FlowNodeService = ReturnType<typeof createFlowNodeService>;
