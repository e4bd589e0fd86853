import { condition, sleep } from '@temporalio/workflow';
import type { CompiledNode } from '../src/shared/flow';
import { evaluateFor, renderFor } from './evaluation';
import { TerminateSignal, type GraphRunner, type NodeOutcome } from './graph-runner';
import { runLoopNode } from './loop-node';
import { runSubFlowNode } from './sub-flow-node';
import { runAgentNode } from './agent-node';
import { runInputNode, runOutputNode, shapedByOutputNode } from './io-nodes';
import { reminderTimes, startReminders } from './approval-reminders';
import type { ApprovalDecision, WaitInfo } from './run-state';

type ControlHandler = (node: CompiledNode, runner: GraphRunner) => Promise<NodeOutcome>;

/** JSONata truthiness (empty arrays, empty strings, 0 and null are false). */
export function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(truthy);
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '' && !Number.isNaN(v);
}

function outcome(result: unknown, port = 'default', input?: unknown): NodeOutcome {
  return { output: { result: result === undefined ? null : result }, port, input };
}

async function waitUntil(runner: GraphRunner, node: CompiledNode, ms: number, until: string): Promise<void> {
  const key = `${runner.scopeKey}${node.id}`;
  runner.run.startWaiting(key, { node_id: node.id, kind: 'delay', until }, runner.steps[node.id], runner.scopeKey);
  try {
    // The timer is named after its node in the Temporal Web UI.
    await sleep(ms, { summary: `delay ${node.label ?? node.id}` });
  } finally {
    runner.run.waiting.delete(key);
  }
}

/** Control nodes: interpreted in the workflow, no activity. */
export const controlHandlers: Record<string, ControlHandler> = {
  async start(_node, runner) {
    return outcome(runner.context.input);
  },

  async end(node, runner) {
    if (node.data.output === undefined) {
      const shaped = shapedByOutputNode(node, runner);
      return outcome(shaped ? shaped.value : runner.upstreamInput(node.id));
    }
    return outcome(await renderFor(node, runner, node.data.output));
  },

  input: runInputNode,
  output: runOutputNode,

  async condition(node, runner) {
    const value = truthy(await evaluateFor(node, runner, String(node.data.expression)));
    return outcome(value, value ? 'true' : 'false', { expression: node.data.expression });
  },

  async switch(node, runner) {
    const cases = (node.data.cases ?? []) as { name: string; expression: string }[];
    for (const c of cases) {
      if (truthy(await evaluateFor(node, runner, c.expression))) return outcome(c.name, c.name);
    }
    return outcome('default', 'default');
  },

  async transform(node, runner) {
    return outcome(await evaluateFor(node, runner, String(node.data.expression)));
  },

  async set(node, runner) {
    const values = (await renderFor(node, runner, node.data.values ?? {})) as Record<string, unknown>;
    Object.assign(runner.vars, values);
    return outcome(values);
  },

  async delay(node, runner) {
    const data = (await renderFor(node, runner, node.data)) as { duration_ms?: number; until?: string };
    const now = Date.now();
    let ms: number;
    if (data.until !== undefined) {
      const at = Date.parse(String(data.until));
      if (Number.isNaN(at)) throw new Error(`delay: until is not a date-time: ${String(data.until)}`);
      ms = Math.max(0, at - now);
    } else {
      ms = Math.max(0, Number(data.duration_ms ?? 0));
      if (!Number.isFinite(ms)) throw new Error(`delay: duration_ms is not a number: ${String(data.duration_ms)}`);
    }
    if (ms > 0) await waitUntil(runner, node, ms, new Date(now + ms).toISOString());
    return outcome({ waited_ms: Date.now() - now }, 'default', data);
  },

  async approval(node, runner) {
    const data = (await renderFor(node, runner, node.data)) as {
      title?: string;
      instructions?: unknown;
      approvers?: string[];
      timeout_ms?: number;
      default_outcome?: 'approved' | 'rejected';
      reminders_ms?: number[];
    };
    const run = runner.run;
    const key = `${runner.scopeKey}${node.id}`;
    const pending: { approvers: string[]; decision?: ApprovalDecision } = {
      approvers: (data.approvers ?? []).map(String),
    };
    run.approvals.set(node.id, pending);
    const wait: WaitInfo = {
      node_id: node.id,
      kind: 'approval',
      name: data.title,
      approvers: pending.approvers,
      ...(data.instructions !== undefined ? { instructions: String(data.instructions) } : {}),
      // When the approval times out; decision links expire then (not a command: no replay impact).
      ...(data.timeout_ms !== undefined ? { until: new Date(Date.now() + data.timeout_ms).toISOString() } : {}),
    };
    run.startWaiting(key, wait, runner.steps[node.id], runner.scopeKey);
    const times = reminderTimes(data.reminders_ms, data.timeout_ms);
    const stopReminders =
      times.length > 0
        ? startReminders(times, node.label ?? node.id, (number, afterMs) => {
            const step = runner.steps[node.id];
            if (pending.decision || !step) return;
            run.reporter.step('approval_reminder', run.status(), step, runner.scopeKey, {
              waiting_for: wait,
              reminder: { number, of: times.length, after_ms: afterMs },
            });
          })
        : undefined;
    try {
      const decided =
        data.timeout_ms === undefined
          ? (await condition(() => pending.decision !== undefined), true)
          : await condition(() => pending.decision !== undefined, data.timeout_ms);
      if (decided && pending.decision) {
        return outcome(pending.decision, pending.decision.decision, data);
      }
      const port = data.default_outcome ?? 'timeout';
      pending.decision = {
        decision: 'timeout',
        comment: null,
        decided_by: null,
        decided_at: new Date().toISOString(),
      };
      return outcome({ ...pending.decision, outcome: port }, port, data);
    } finally {
      stopReminders?.();
      run.waiting.delete(key);
    }
  },

  async 'wait-event'(node, runner) {
    const data = (await renderFor(node, runner, node.data)) as { name: string; timeout_ms?: number };
    const key = `${runner.scopeKey}${node.id}`;
    runner.run.startWaiting(key, { node_id: node.id, kind: 'event', name: data.name }, runner.steps[node.id], runner.scopeKey);
    try {
      const event = await runner.run.takeEvent(data.name, data.timeout_ms);
      return event ? outcome(event.data, 'default', data) : outcome(null, 'timeout', data);
    } finally {
      runner.run.waiting.delete(key);
    }
  },

  async terminate(node, runner) {
    const data = (await renderFor(node, runner, node.data)) as { status?: string; message?: string };
    throw new TerminateSignal(data.status === 'failed' ? 'failed' : 'completed', data.message, node.id);
  },

  loop: runLoopNode,
  'sub-flow': runSubFlowNode,
  agent: runAgentNode,
};
