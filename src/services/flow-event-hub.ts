import type { ExecutionEventRow, Repos } from '../storage';
import type { EventTail } from './run-event-tail';

/** Receives the events of one flow's runs, in log order. */
export type FlowEventListener = (rows: ExecutionEventRow[]) => void;

/** Hands the live event log to watchers of whole flows (every run of a flow). */
export interface FlowEventHub {
  /**
   * Delivers the events of `flowId`'s runs stored after this call, in order, until the returned
   * function is called. Resolves once the starting position is fixed.
   */
  subscribe(flowId: string, listener: FlowEventListener): Promise<() => void>;
}

/** How many run → flow lookups are remembered. */
const KNOWN_RUNS = 10_000;

interface Subscriber {
  listener: FlowEventListener;
  /** Events at or before this position were stored before the subscription. */
  after: number;
}

/**
 * One reader for every flow watcher of this process: it listens to the API's shared tail of the
 * live event log (`subscribeAll`) while at least one flow is watched, learns which flow each run
 * belongs to from the run index (remembered, so one lookup per run), and gives each flow's
 * watchers their runs' events in order.
 */
export function createFlowEventHub(deps: { repos: Repos; tail: EventTail; onError?: (err: unknown) => void }): FlowEventHub {
  const { repos, tail } = deps;
  const byFlow = new Map<string, Set<Subscriber>>();
  const flowOfRun = new Map<string, string>();
  let unsubscribeTail: (() => void) | undefined;
  let delivering: Promise<void> = Promise.resolve();

  const remember = (executionId: string, flowId: string) => {
    if (flowOfRun.size >= KNOWN_RUNS) flowOfRun.delete(flowOfRun.keys().next().value as string);
    flowOfRun.set(executionId, flowId);
  };

  const dispatch = async (rows: ExecutionEventRow[]) => {
    if (byFlow.size === 0) return;
    for (const id of new Set(rows.map((r) => r.execution_id))) {
      if (flowOfRun.has(id)) continue;
      const run = await repos.executions.get(id);
      if (run) remember(id, run.flow_id);
    }
    const grouped = new Map<string, ExecutionEventRow[]>();
    for (const r of rows) {
      const flowId = flowOfRun.get(r.execution_id);
      if (flowId && byFlow.has(flowId)) grouped.set(flowId, [...(grouped.get(flowId) ?? []), r]);
    }
    for (const [flowId, mine] of grouped) {
      for (const sub of byFlow.get(flowId) ?? []) {
        const fresh = mine.filter((r) => r.id > sub.after);
        if (fresh.length) sub.listener(fresh);
      }
    }
  };

  const onRows = (rows: ExecutionEventRow[]) => {
    // One batch after the other, so each watcher sees the log's order.
    delivering = delivering.then(() => dispatch(rows)).catch((err: unknown) => deps.onError?.(err));
  };

  return {
    async subscribe(flowId, listener) {
      const sub: Subscriber = { listener, after: await repos.events.maxId() };
      const subs = byFlow.get(flowId) ?? new Set<Subscriber>();
      subs.add(sub);
      byFlow.set(flowId, subs);
      unsubscribeTail ??= tail.subscribeAll(onRows);
      return () => {
        subs.delete(sub);
        if (subs.size === 0 && byFlow.get(flowId) === subs) byFlow.delete(flowId);
        if (byFlow.size === 0 && unsubscribeTail) {
          unsubscribeTail();
          unsubscribeTail = undefined;
        }
      };
    },
  };
}
