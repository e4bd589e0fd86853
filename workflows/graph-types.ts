/* The shapes a graph runner works with, and how edges are followed. */
import type { CarriedState, CompiledFlow, CompiledNode, FlowEdge, StepState } from '../src/shared/flow';
import type { NodeErrorInfo } from './errors';

/** What running one node produced. */
export interface NodeOutcome {
  output: Record<string, unknown>;
  /** Port taken; `default` when absent. */
  port?: string;
  attempt?: number;
  input?: unknown;
  started_at?: string;
  finished_at?: string;
}

/** Ends the whole graph early (a `terminate` node). */
export class TerminateSignal {
  constructor(
    readonly status: 'completed' | 'failed',
    readonly message: string | undefined,
    readonly nodeId: string,
  ) {}
}


/** How a graph run ended. */
export type GraphResult =
  | { kind: 'completed'; output: unknown }
  | { kind: 'failed'; nodeId: string; error: NodeErrorInfo }
  | { kind: 'terminated'; status: 'completed' | 'failed'; message?: string; nodeId: string; output: unknown }
  | { kind: 'continue-as-new'; carried: CarriedState };


/**
 * Whether an edge is followed when its source completes on `port`. An edge without a handle is
 * on the `default` port; from a node that has no `default` port (condition, switch, approval) it
 * is followed on any port except `error`.
 */
export function edgeTaken(edge: FlowEdge, port: string, source: CompiledNode): boolean {
  const handle = edge.source_handle;
  if (handle === undefined || handle === null || handle === '') {
    if (port === 'error') return false;
    return port === 'default' || !source.exec.ports.includes('default');
  }
  return handle === port;
}

/**
 * The graph's output: the rendered output of the `end` node that ran (or `{end_id: output}` when
 * several did); without an end node, the result of the sink node(s) that completed.
 */
export function graphOutput(
  graph: CompiledFlow,
  steps: Record<string, StepState>,
  context: Record<string, unknown>,
  hasOutgoing: (nodeId: string) => boolean,
): unknown {
  const ends = graph.nodes.filter((n) => n.type === 'end' && steps[n.id].status === 'completed');
  const pick = (ids: string[]) => {
    const results = ids.map((id) => (context[id] as { result?: unknown } | undefined)?.result);
    if (ids.length === 1) return results[0];
    if (ids.length === 0) return null;
    return Object.fromEntries(ids.map((id, i) => [id, results[i]]));
  };
  if (ends.length) return pick(ends.map((n) => n.id));
  return pick(graph.nodes.filter((n) => !hasOutgoing(n.id) && steps[n.id].status === 'completed').map((n) => n.id));
}
