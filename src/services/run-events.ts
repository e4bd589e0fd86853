import type { ExecutionStatus, RunStatus } from '../shared/flow';
import { loopPlaceOf } from '../shared/step-scope';
import type { ExecutionEventRow, ExecutionRow, LogRow, Page } from '../storage';
import type { EventTail } from './run-event-tail';
import type { ExecutionView, StepView } from './run-views';

/** Live event types of docs/api.md. */
export type LiveEventType =
  | 'state_sync'
  | 'node_started'
  | 'node_completed'
  | 'node_failed'
  | 'node_skipped'
  | 'node_waiting'
  | 'approval_reminder'
  | 'execution_paused'
  | 'execution_resumed'
  | 'execution_completed'
  | 'execution_failed'
  | 'execution_cancelled'
  | 'log';

/** One live event: the same JSON over server-sent events and WebSocket. */
export interface LiveEvent {
  type: LiveEventType;
  execution_id: string;
  timestamp: string;
  data: Record<string, unknown>;
  /** Where the stream stands after this event (`Last-Event-ID` resumes from it). */
  cursor: string;
}

/** What a watcher sees of a run at one moment. */
export interface RunSnapshot {
  execution: ExecutionView;
  terminal: boolean;
  status: ExecutionStatus;
  paused: boolean;
  progress: { completed: number; total: number };
  current_nodes: string[];
  waiting_for?: RunStatus['waiting_for'];
  steps: StepView[];
}

/** Where a watcher reads from. */
export interface WatchSource {
  snapshot(): Promise<RunSnapshot>;
  /** The run's index row (to notice an end that no event reports: terminate, timeout). */
  row(): Promise<ExecutionRow | undefined>;
  logs(skip: number, limit: number): Promise<Page<LogRow>>;
  tail: EventTail;
  /** The position of the run's last stored event. */
  lastEventId(): Promise<number>;
}

/** Options of {@link watchRun}. */
export interface WatchOptions {
  signal: AbortSignal;
  /** A `Last-Event-ID`: resume after it (no `state_sync`). */
  resumeFrom?: string;
  /** How often logs and the row are looked at (default 250 ms). */
  intervalMs?: number;
}

const LOG_PAGE = 100;
/**
 * Logs are ordered by their timestamp but written when a node finishes, so a new line can sort
 * before ones already sent; each look re-reads this many lines before the end to catch them.
 */
const LOG_REREAD = 200;

/** The terminal event of a status. */
export function terminalEventType(status: ExecutionStatus): LiveEventType {
  if (status === 'completed') return 'execution_completed';
  if (status === 'cancelled' || status === 'terminated') return 'execution_cancelled';
  return 'execution_failed';
}

const TERMINAL_TYPES = new Set<string>(['execution_completed', 'execution_failed', 'execution_cancelled']);
const TERMINAL_STATUSES = new Set<ExecutionStatus>(['completed', 'failed', 'cancelled', 'terminated', 'timed_out']);

function logData(l: LogRow): Record<string, unknown> {
  return {
    id: l.id,
    node_id: l.node_id,
    node_type: l.node_type,
    level: l.level,
    message: l.message,
    timestamp: l.timestamp,
    duration_ms: l.duration_ms,
    ...(l.scope ? { scope: l.scope, loop_node_id: l.loop_node_id, item_index: l.item_index } : {}),
  };
}

/** `scope`, `loop_node_id`, `item_index` and `batch` of a loop item's step; nothing at the top level. */
function loopFields(s: Record<string, unknown>): Record<string, unknown> {
  const place = loopPlaceOf(typeof s.scope === 'string' ? s.scope : undefined);
  if (!place) return s.scope ? { scope: s.scope } : {};
  return { ...place, batch: s.batch ?? null };
}

/** A stored transition as a live event's data: node events carry the step's fields. */
function eventData(row: ExecutionEventRow): Record<string, unknown> {
  const { step, status, waiting_for, output_data, error, reminder } = row.data as Record<string, unknown>;
  if (step && typeof step === 'object') {
    const s = step as Record<string, unknown>;
    return {
      node_id: s.node_id,
      node_type: s.node_type,
      label: s.label ?? null,
      status: s.status,
      attempt: s.attempt,
      output: s.output ?? null,
      error: s.error ?? null,
      port: s.port ?? null,
      started_at: s.started_at ?? null,
      finished_at: s.finished_at ?? null,
      duration_ms: s.duration_ms ?? null,
      // A loop item's step says which loop, item and batch, so clients need not parse the scope.
      ...loopFields(s),
      ...(waiting_for ? { waiting_for } : {}),
      ...(reminder ? { reminder } : {}),
      run_status: status ?? null,
    };
  }
  if (TERMINAL_TYPES.has(row.type)) return { status, output_data: output_data ?? null, error: error ?? null };
  return { status };
}

/** `"<event id>-<log lines sent>"`, or undefined when malformed. */
function parseCursor(text: string | undefined): { events: number; logs: number } | undefined {
  const m = /^(\d+)-(\d+)$/.exec(text ?? '');
  return m ? { events: Number(m[1]), logs: Number(m[2]) } : undefined;
}

/**
 * Streams a run's live events to `emit`: `state_sync` with the current state (unless resuming),
 * then the transitions the run reports about itself (read from the live event log, in the order
 * the run reported them) and its log lines, until the terminal event or until `signal` aborts.
 * Every event carries a cursor; `resumeFrom` (a `Last-Event-ID`) continues after it, missing
 * nothing. A run that ends without reporting it (terminated, timed out) ends the stream with the
 * terminal event of its index row.
 */
export async function watchRun(
  executionId: string,
  source: WatchSource,
  emit: (e: LiveEvent) => void,
  options: WatchOptions,
): Promise<void> {
  const { signal } = options;
  const resumed = parseCursor(options.resumeFrom);
  let eventCursor = resumed?.events ?? 0;
  let logsSent = resumed?.logs ?? 0;
  const cursor = () => `${eventCursor}-${logsSent}`;
  const send = (type: LiveEventType, data: Record<string, unknown>, timestamp = new Date().toISOString()) =>
    emit({ type, execution_id: executionId, timestamp, data, cursor: cursor() });

  // Log lines already sent: by id, plus (after a resume) every line before the resumed count.
  const seenLogs = new Set<string>();
  const resumeLogs = logsSent;
  let scanned = false;
  const pumpLogs = async () => {
    if (scanned) {
      const probe = await source.logs(0, 1);
      if (probe.total <= seenLogs.size) return;
    }
    const from = scanned ? Math.max(0, seenLogs.size - LOG_REREAD) : 0;
    for (let skip = from; ; skip += LOG_PAGE) {
      const page = await source.logs(skip, LOG_PAGE);
      for (const [i, l] of page.items.entries()) {
        if (seenLogs.has(l.id)) continue;
        seenLogs.add(l.id);
        if (!scanned && skip + i < resumeLogs) continue;
        logsSent++;
        send('log', logData(l), l.timestamp);
      }
      if (page.items.length < LOG_PAGE || skip + LOG_PAGE >= page.total) break;
    }
    scanned = true;
  };

  if (!resumed) {
    eventCursor = await source.lastEventId();
    const snap = await source.snapshot();
    send('state_sync', {
      execution: snap.execution,
      status: snap.status,
      paused: snap.paused,
      progress: snap.progress,
      current_nodes: snap.current_nodes,
      ...(snap.waiting_for ? { waiting_for: snap.waiting_for } : {}),
      steps: snap.steps,
    });
    await pumpLogs();
    if (snap.terminal) {
      return send(terminalEventType(snap.status), {
        status: snap.status,
        output_data: snap.execution.output_data,
        error: snap.execution.error,
        finished_at: snap.execution.finished_at,
        execution_time_ms: snap.execution.execution_time_ms,
      });
    }
  }

  let ended = false;
  let wake: (() => void) | undefined;
  const pending: ExecutionEventRow[] = [];
  const unsubscribe = source.tail.subscribe(executionId, eventCursor, (rows) => {
    pending.push(...rows);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    let lastLook = 0;
    while (!signal.aborted && !ended) {
      if (pending.length) {
        // Log lines a node wrote come before the node's own settle event: read them once per batch.
        if (pending.some((row) => row.type !== 'node_started' && row.type !== 'node_waiting')) await pumpLogs();
        while (pending.length && !ended) {
          const row = pending.shift() as ExecutionEventRow;
          eventCursor = row.id;
          if (TERMINAL_TYPES.has(row.type)) {
            const finished = await source.row();
            send(
              row.type as LiveEventType,
              { ...eventData(row), finished_at: finished?.finished_at ?? row.at, execution_time_ms: finished?.execution_time_ms ?? null },
              row.at,
            );
            ended = true;
          } else {
            send(row.type as LiveEventType, eventData(row), row.at);
          }
        }
      }
      if (ended || signal.aborted) break;
      const interval = options.intervalMs ?? 250;
      if (Date.now() - lastLook >= interval) {
        lastLook = Date.now();
        await pumpLogs();
        const row = await source.row();
        if (row && TERMINAL_STATUSES.has(row.status) && pending.length === 0) {
          // Give the tail one more interval: the run's own terminal event is usually on its way.
          await new Promise((resolve) => setTimeout(resolve, interval));
          if (pending.length === 0) {
            send(terminalEventType(row.status), {
              status: row.status,
              output_data: row.output_data,
              error: row.error,
              finished_at: row.finished_at,
              execution_time_ms: row.execution_time_ms,
            });
            ended = true;
          }
          continue;
        }
      }
      if (pending.length) continue; // arrived while logs and the row were being read
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, interval).unref();
      });
      wake = undefined;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}
