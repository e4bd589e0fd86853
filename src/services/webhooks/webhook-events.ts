import type { ExecutionStatus, StepState, WaitInfo } from '../../shared/flow';
import type { RunTransition } from '../../shared/run-transitions';
import type { ExecutionRow } from '../../storage';

/** The events a subscription can ask for (docs/api-webhooks.md). */
export const WEBHOOK_EVENTS = [
  'execution.started',
  'execution.completed',
  'execution.failed',
  'execution.cancelled',
  'approval.requested',
  'approval.reminder',
  'approval.decided',
] as const;

/** One webhook event name. */
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/** The seeds' names, accepted when subscribing and stored as the event they stand for. */
export const EVENT_ALIASES: Readonly<Record<string, WebhookEventName>> = {
  'flow.executed': 'execution.completed',
  'flow.failed': 'execution.failed',
};

/** Subscribes to every event. */
export const ALL_EVENTS = '*';

/** The canonical name of `name` (an event, an alias or `*`); undefined for an unknown name. */
export function canonicalEvent(name: string): WebhookEventName | typeof ALL_EVENTS | undefined {
  if (name === ALL_EVENTS) return ALL_EVENTS;
  if ((WEBHOOK_EVENTS as readonly string[]).includes(name)) return name as WebhookEventName;
  return EVENT_ALIASES[name];
}

/** The approval an approval event is about: what its decision links are made of. */
export interface ApprovalRef {
  node_id: string;
  scope: string;
  /** When the node began to wait. */
  requested_at: string;
  /** When the approval times out, if it does. */
  until?: string;
}

/** Something that happened to a run, to be delivered to its owner's subscriptions. */
export interface RunNotice {
  event: WebhookEventName;
  execution_id: string;
  /** Tells events of one kind apart within a run (`<scope><node id>`, a reminder's number); '' for the run's own. */
  discriminator: string;
  /** When it happened (workflow time). */
  at: string;
  /** `data` of the body, without `execution_id` and `workflow_id` (added from the run). */
  data: Record<string, unknown>;
  /** Approval events: the approval, for its decision links. */
  approval?: ApprovalRef;
}

const TERMINAL: Partial<Record<RunTransition['type'], [WebhookEventName, ExecutionStatus]>> = {
  execution_completed: ['execution.completed', 'completed'],
  execution_failed: ['execution.failed', 'failed'],
  execution_cancelled: ['execution.cancelled', 'cancelled'],
};

type ApprovalStep = StepState & { scope?: string };

function approvalOf(step: ApprovalStep, at: string, wait?: WaitInfo): ApprovalRef {
  return {
    node_id: step.node_id,
    scope: step.scope ?? '',
    requested_at: step.started_at ?? at,
    ...(wait?.until ? { until: wait.until } : {}),
  };
}

/** The webhook events a batch of run transitions stands for, in order. */
export function noticesFromTransitions(batch: readonly RunTransition[]): RunNotice[] {
  const out: RunNotice[] = [];
  for (const t of batch) {
    const base = { execution_id: t.execution_id, at: t.at };
    const terminal = TERMINAL[t.type];
    if (t.type === 'execution_started') {
      out.push({ ...base, event: 'execution.started', discriminator: '', data: { status: 'running' } });
    } else if (terminal) {
      const [event, status] = terminal;
      const data: Record<string, unknown> = { status };
      if (status === 'completed') data.output_data = t.output_data ?? null;
      else data.error = t.error ?? null;
      out.push({ ...base, event, discriminator: '', data });
    }
    const step = t.step as ApprovalStep | undefined;
    if (!step || step.node_type !== 'approval') continue;
    const wait = t.waiting_for as WaitInfo | undefined;
    const where = `${step.scope ?? ''}${step.node_id}`;
    const about = {
      status: t.status ?? 'waiting',
      node_id: step.node_id,
      ...(step.scope ? { scope: step.scope } : {}),
    };
    if (t.type === 'node_waiting' && wait?.kind === 'approval') {
      out.push({
        ...base,
        event: 'approval.requested',
        discriminator: where,
        data: { ...about, title: wait.name ?? step.label ?? null, instructions: wait.instructions ?? null, approvers: wait.approvers ?? [] },
        approval: approvalOf(step, t.at, wait),
      });
    } else if (t.type === 'approval_reminder' && t.reminder) {
      out.push({
        ...base,
        event: 'approval.reminder',
        discriminator: `${where}:${t.reminder.number}`,
        data: { ...about, title: wait?.name ?? step.label ?? null, reminder: t.reminder },
        approval: approvalOf(step, t.at, wait),
      });
    } else if (t.type === 'node_completed') {
      const result = ((step.output as { result?: Record<string, unknown> } | undefined)?.result ?? {}) as Record<string, unknown>;
      out.push({
        ...base,
        event: 'approval.decided',
        discriminator: where,
        data: {
          ...about,
          status: t.status ?? 'running',
          title: step.label ?? null,
          decision: result.decision ?? null,
          comment: result.comment ?? null,
          decided_by: result.decided_by ?? null,
          decided_at: result.decided_at ?? step.finished_at ?? t.at,
          port: step.port ?? null,
        },
      });
    }
  }
  return out;
}

/**
 * The terminal event of a run the reconciler found finished (terminated or timed out runs report
 * nothing themselves): `timed_out` counts as failed and `terminated` as cancelled, as in the live
 * events; `data.status` keeps the run's own status.
 */
export function terminalNotice(row: ExecutionRow): RunNotice | undefined {
  const events: Partial<Record<ExecutionStatus, WebhookEventName>> = {
    completed: 'execution.completed',
    failed: 'execution.failed',
    timed_out: 'execution.failed',
    cancelled: 'execution.cancelled',
    terminated: 'execution.cancelled',
  };
  const event = events[row.status];
  if (!event) return undefined;
  const data: Record<string, unknown> = { status: row.status };
  if (row.status === 'completed') data.output_data = row.output_data ?? null;
  else data.error = row.error ?? null;
  return { event, execution_id: row.id, discriminator: '', at: row.finished_at ?? new Date().toISOString(), data };
}
