import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutionStatus, RunStatus } from '../shared/flow';
import type { LogRow, Page } from '../storage';
import type { ExecutionView, StepView } from './run-service';

/** Live event types of DESIGN §2. */
export type LiveEventType =
  | 'state_sync'
  | 'node_started'
  | 'node_completed'
  | 'node_failed'
  | 'node_skipped'
  | 'node_waiting'
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
  logs(skip: number, limit: number): Promise<Page<LogRow>>;
}

/** Options of {@link watchRun}. */
export interface WatchOptions {
  signal: AbortSignal;
  /** Poll interval while nodes run (default 250 ms). */
  intervalMs?: number;
  /** Poll interval while the run only waits or is paused (default 1 s). */
  idleIntervalMs?: number;
}

const LOG_PAGE = 100;
/**
 * Logs are ordered by their timestamp but written when a node finishes, so a new line can sort
 * before ones already sent; each poll re-reads this many lines before the end to catch them.
 */
const LOG_REREAD = 200;
const MAX_CONSECUTIVE_ERRORS = 20;

/** The terminal event of a status. */
export function terminalEventType(status: ExecutionStatus): LiveEventType {
  if (status === 'completed') return 'execution_completed';
  if (status === 'cancelled' || status === 'terminated') return 'execution_cancelled';
  return 'execution_failed';
}

function logData(l: LogRow): Record<string, unknown> {
  return {
    id: l.id,
    node_id: l.node_id,
    node_type: l.node_type,
    level: l.level,
    message: l.message,
    timestamp: l.timestamp,
    duration_ms: l.duration_ms,
  };
}

/**
 * Streams a run's live events to `emit`: `state_sync` with the current state and the logs so far,
 * then, by polling the status query (via `source.snapshot`) and the log table, node and pause
 * transitions and new log lines, until the terminal event or until `signal` aborts. A node that
 * starts and settles between two polls still yields `node_started` before its settle event.
 */
export async function watchRun(
  executionId: string,
  source: WatchSource,
  emit: (e: LiveEvent) => void,
  options: WatchOptions,
): Promise<void> {
  const { signal } = options;
  const send = (type: LiveEventType, data: Record<string, unknown>) =>
    emit({ type, execution_id: executionId, timestamp: new Date().toISOString(), data });

  const seen = new Set<string>();
  const pumpLogs = async (from: number) => {
    for (let skip = from; ; skip += LOG_PAGE) {
      const page = await source.logs(skip, LOG_PAGE);
      for (const l of page.items) {
        if (seen.has(l.id)) continue;
        seen.add(l.id);
        send('log', logData(l));
      }
      if (page.items.length < LOG_PAGE || skip + LOG_PAGE >= page.total) return;
    }
  };
  const newLogs = async () => {
    const probe = await source.logs(seen.size, 1);
    if (probe.total > seen.size) await pumpLogs(Math.max(0, seen.size - LOG_REREAD));
  };
  const finish = (s: RunSnapshot) =>
    send(terminalEventType(s.status), {
      status: s.status,
      output_data: s.execution.output_data,
      error: s.execution.error,
      finished_at: s.execution.finished_at,
      execution_time_ms: s.execution.execution_time_ms,
    });

  let snap = await source.snapshot();
  send('state_sync', {
    execution: snap.execution,
    status: snap.status,
    paused: snap.paused,
    progress: snap.progress,
    current_nodes: snap.current_nodes,
    ...(snap.waiting_for ? { waiting_for: snap.waiting_for } : {}),
    steps: snap.steps,
  });
  await pumpLogs(0);
  if (snap.terminal) return finish(snap);

  const known = new Map(snap.steps.map((s) => [s.node_id, s.status]));
  let paused = snap.paused;
  let errors = 0;
  while (!signal.aborted) {
    const idle = snap.status === 'paused' || snap.status === 'waiting';
    try {
      await sleep(idle ? (options.idleIntervalMs ?? 1_000) : (options.intervalMs ?? 250), undefined, {
        signal,
      });
    } catch {
      return;
    }
    try {
      snap = await source.snapshot();
      errors = 0;
    } catch (err) {
      if (++errors >= MAX_CONSECUTIVE_ERRORS) throw err;
      continue;
    }
    if (signal.aborted) return;

    const settled: [LiveEventType, StepView][] = [];
    for (const step of snap.steps) {
      const before = known.get(step.node_id) ?? 'pending';
      if (before === step.status) continue;
      known.set(step.node_id, step.status);
      const startedNow = before === 'pending' && step.status !== 'skipped';
      if (startedNow && step.status !== 'waiting') send('node_started', { ...step });
      if (step.status === 'waiting') {
        const waiting = snap.waiting_for?.find((w) => w.node_id === step.node_id);
        settled.push(['node_waiting', { ...step, ...(waiting ? { waiting_for: waiting } : {}) }]);
      } else if (step.status === 'completed') settled.push(['node_completed', step]);
      else if (step.status === 'failed') settled.push(['node_failed', step]);
      else if (step.status === 'skipped') settled.push(['node_skipped', step]);
    }
    await newLogs();
    for (const [type, step] of settled) send(type, { ...step });
    if (!snap.terminal && snap.paused !== paused) {
      paused = snap.paused;
      send(paused ? 'execution_paused' : 'execution_resumed', { status: snap.status });
    }
    if (snap.terminal) return finish(snap);
  }
}
