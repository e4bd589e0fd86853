import { randomUUID } from 'node:crypto';
import { Invalid, NotFound, conflict } from '../shared/errors';
import type { RunTrigger } from '../shared/flow';
import type { FlowRow, Repos } from '../storage';
import type { Actor } from './actor';
import type { RunService } from './run-service';

/** An event as `POST /events` takes it. */
export interface EventInput {
  type: string;
  data: unknown;
  /** The sender's id of the event: the same id again starts nothing. */
  id?: string;
}

/** A run an event started. */
export interface EventRun {
  id: string;
  workflow_id: string;
  status: string;
}

/** What publishing an event did. */
export interface PublishedEvent {
  event_id: string;
  executions: EventRun[];
  /** Flows the event matched that refused it (their input schema, an invalid graph); empty on a repeat. */
  skipped: { workflow_id: string; message: string; details?: Record<string, unknown> }[];
  /** True when the id had been seen: `executions` are the runs the first delivery started. */
  duplicate: boolean;
}

/** How many runs of one event are started at once. */
const LAUNCH_BATCH = 10;

/**
 * Events (docs/api-triggers.md): `publish` starts every enabled, not archived flow of the caller
 * whose trigger is `{type: "event", event: <type>}`, each run with the trigger
 * `{type: "event", event, event_id, data}` and the event's data as input.
 *
 * An event id is delivered once. Each run is started with the idempotency key
 * `event:<id>:<flow id>` (keys are unique per owner, so the flow is part of it), and once every
 * run is started the event is recorded in `events_seen` with their ids. A repeat of a recorded id
 * answers those runs and starts nothing, even when flows have changed since; a repeat of an id
 * whose first delivery did not get as far as the record (a crash, a concurrent duplicate) starts
 * the same flows with the same keys, so it finishes that delivery without starting anything twice.
 */
export function createEventService({ repos, runs }: { repos: Repos; runs: RunService }) {
  const runsOf = async (ids: string[]): Promise<EventRun[]> => {
    const rows = await Promise.all(ids.map((id) => repos.executions.get(id)));
    return rows.flatMap((r) => (r ? [{ id: r.id, workflow_id: r.flow_id, status: r.status }] : []));
  };

  return {
    async publish(actor: Actor, event: EventInput): Promise<PublishedEvent> {
      // Events start the caller's own flows, admins included.
      const ownerId = actor.userId;
      const eventId = event.id ?? randomUUID();
      const seen = event.id === undefined ? undefined : await repos.eventsSeen.find(ownerId, eventId);
      if (seen) {
        if (seen.event_type !== event.type) throw conflict(`event id ${eventId} was already used for an event of type ${seen.event_type}`);
        return { event_id: eventId, executions: await runsOf(seen.execution_ids), skipped: [], duplicate: true };
      }

      // Refused as a whole when the engine is behind, never after some of its runs have started.
      runs.admit();
      const flows = (await repos.flows.listTriggered({ ownerId, triggerType: 'event', event: event.type })).filter((f) => f.status !== 'archived');
      const owner: Actor = { userId: ownerId, ownerId };
      const trigger: RunTrigger = { type: 'event', event: event.type, event_id: eventId, data: event.data };
      const started: EventRun[] = [];
      const skipped: PublishedEvent['skipped'] = [];
      const launch = async (flow: FlowRow) => {
        try {
          const { execution } = await runs.execute(owner, flow.id, {
            trigger,
            input_data: event.data,
            idempotency_key: `event:${eventId}:${flow.id}`,
            admission: false,
          });
          started.push({ id: execution.id, workflow_id: flow.id, status: execution.status });
        } catch (err) {
          // One flow that cannot take the event does not keep it from the others.
          if (err instanceof NotFound) return; // deleted meanwhile
          if (!(err instanceof Invalid)) throw err;
          skipped.push({ workflow_id: flow.id, message: err.message, ...(err.details ? { details: err.details } : {}) });
        }
      };
      for (let i = 0; i < flows.length; i += LAUNCH_BATCH) await Promise.all(flows.slice(i, i + LAUNCH_BATCH).map(launch));
      const order = new Map(flows.map((f, i) => [f.id, i]));
      started.sort((a, b) => order.get(a.workflow_id)! - order.get(b.workflow_id)!);

      const ids = started.map((r) => r.id);
      const { event: record, created } = await repos.eventsSeen.claim({ owner_id: ownerId, event_type: event.type, event_key: eventId, execution_ids: ids });
      if (created) return { event_id: eventId, executions: started, skipped, duplicate: false };
      // A concurrent delivery of the same id recorded first; the same keys mean the same runs.
      const all = [...new Set([...record.execution_ids, ...ids])];
      if (all.length > record.execution_ids.length) await repos.eventsSeen.setExecutionIds(record.id, all);
      return { event_id: eventId, executions: await runsOf(all), skipped, duplicate: true };
    },
  };
}

/** Events that start flows. */
export type EventService = ReturnType<typeof createEventService>;

/** How much longer than the namespace's retention an event's record is kept. */
export const EVENT_RECORD_MARGIN_MS = 30 * 24 * 3_600_000;
/** Used when the namespace does not say how long it keeps closed runs. */
const DEFAULT_RETENTION_MS = 7 * 24 * 3_600_000;
const EVENT_COLLECT_INTERVAL_MS = 60 * 60_000;

/**
 * Forgets recorded event ids once they are older than the namespace's retention plus
 * {@link EVENT_RECORD_MARGIN_MS}, every `intervalMs` (first after one interval); returns a stop
 * function. A repeat after that still starts nothing for the flows it started: their runs keep
 * the idempotency keys.
 */
export function startEventRecordCollector(options: {
  repos: Repos;
  retentionMs: () => Promise<number | undefined>;
  onError?: (err: unknown) => void;
  intervalMs?: number;
}): () => void {
  const collect = async () => {
    const keep = ((await options.retentionMs()) || DEFAULT_RETENTION_MS) + EVENT_RECORD_MARGIN_MS;
    await options.repos.eventsSeen.deleteOlderThan(new Date(Date.now() - keep));
  };
  const timer = setInterval(() => {
    collect().catch((err) => options.onError?.(err));
  }, options.intervalMs ?? EVENT_COLLECT_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
