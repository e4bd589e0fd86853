import { randomUUID } from 'node:crypto';
import { compileFlow } from '../nodes/compile-flow';
import { conflict, notFound, unprocessable } from '../shared/errors';
import type { RunTrigger } from '../shared/flow';
import { TERMINAL_EXECUTION_STATUSES, type Repos } from '../storage';
import type { Actor } from './actor';
import type { RunLauncher } from './run-launcher';
import { nodeFingerprint, planRetry } from './retry-plan';
import type { RunTemporal } from './run-temporal';
import type { ExecutionView, ViewFn } from './run-views';

/** Body of a retry call. */
export interface RetryRequest {
  from_node?: string;
  use_latest_version?: boolean;
}

/** Retrying finished runs from a node (see retry-plan.ts for what is reused). */
export function createRunRetry(deps: { repos: Repos; temporal: RunTemporal; launcher: RunLauncher; view: ViewFn }) {
  const { repos, temporal, launcher, view } = deps;

  /**
   * Starts a new run of a finished run's flow that does not redo what the earlier run completed
   * upstream of `from_node` (default: the node that failed the run).
   */
  return async function retry(actor: Actor, id: string, req: RetryRequest): Promise<ExecutionView> {
    const found = await repos.executions.get(id, { ownerId: actor.ownerId });
    if (!found) throw notFound('execution');
    const known = await temporal.reconcile(found);
    const earlier = known.row;
    if (!TERMINAL_EXECUTION_STATUSES.includes(earlier.status)) {
      throw conflict(`run is ${earlier.status}: cancel it or wait for it to finish before retrying`, { status: earlier.status });
    }
    if (earlier.status === 'completed' && req.from_node === undefined) {
      throw conflict('run completed: give from_node to run it again from a node', { status: earlier.status });
    }
    const flow = await repos.flows.get(earlier.flow_id, { includeDeleted: true });
    if (!flow) throw notFound('workflow');
    if (flow.deleted_at) throw conflict('the workflow of this run was deleted');

    const newId = randomUUID();
    const failedNode = (earlier.error as { node_id?: string | null } | null)?.node_id ?? known.failure?.node_id ?? undefined;
    const fromNode = req.from_node ?? failedNode;
    const trigger: RunTrigger = { type: 'retry', retry_of: earlier.id, from_node: fromNode ?? null, user_id: actor.userId };
    const version = req.use_latest_version ? flow.version : earlier.flow_version;
    const input = await launcher.buildInput(flow, version, newId, trigger, earlier.input_data);
    if (req.from_node !== undefined && !input.definition.nodes.some((n) => n.id === req.from_node)) {
      throw unprocessable('from_node is not a node of the workflow', { from_node: `no node ${req.from_node} in version ${version}` });
    }
    const steps = await temporal.stepsOf(earlier, known);
    const before = steps.find((s) => s.node_id === fromNode);
    if (req.from_node !== undefined && before?.status === 'skipped') {
      throw unprocessable('from_node was skipped in the earlier run', {
        from_node: `${req.from_node} was skipped; retry from a node upstream of it`,
      });
    }
    let reusable: ((nodeId: string) => boolean) | undefined;
    if (version !== earlier.flow_version) {
      const old = await launcher
        .graphAt(flow, earlier.flow_version)
        .then((g) => compileFlow(g.graph))
        .catch(() => undefined);
      const same = new Set<string>();
      for (const n of input.definition.nodes) {
        const o = old?.nodes.find((x) => x.id === n.id);
        if (o && old && nodeFingerprint(o, old) === nodeFingerprint(n, input.definition)) same.add(n.id);
      }
      reusable = (nodeId) => same.has(nodeId);
    }
    input.carried = planRetry(input.definition, steps, fromNode, reusable, earlier.id).carried;
    const row = await repos.executions.create({
      id: newId,
      flow_id: flow.id,
      flow_version: input.flow_version,
      owner_id: earlier.owner_id,
      trigger,
      input_data: input.input_data,
    });
    return view((await launcher.launch(row, input, flow.name)).row);
  };
}
