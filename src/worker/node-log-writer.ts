import type { LogSink, NodeLogEntry } from '../../activities/log-sink';

/** How long a node's log lines may wait for company before they are written. */
export const LOG_BATCH_MS = 20;

/** What the writer needs. */
export interface NodeLogWriterDeps {
  /** Writes lines (the execution_logs table). */
  insert(entries: NodeLogEntry[]): Promise<unknown>;
  /** A write failed: the lines are dropped, never the node. */
  onError(err: unknown): void;
}

/** The node log sink of a worker, and a way to write what it holds now. */
export interface NodeLogWriter {
  sink: LogSink;
  /** Writes every line received so far; resolves when they are written (or failed). */
  flush(): Promise<void>;
}

/**
 * The worker's node log sink. A node activity hands its lines over and returns at once; they are
 * written in batches, up to {@link LOG_BATCH_MS} later or when `flush` is called (the run index
 * sink calls it before each batch it writes, so a run's lines are stored no later than its end).
 * A node test's lines (`now`) are written before its activity returns: the test's answer reads
 * them as soon as the run ends, and a test run reports nothing to the run index.
 * Before this, every node waited for an insert of its own before its result went back to the
 * workflow: ~0.5 ms on each node of a chain and a statement per node.
 *
 * Trade-off: lines received in the last few milliseconds before the worker process dies are lost
 * (the run itself is in Temporal and goes on); a worker that stops normally flushes first.
 */
export function createNodeLogWriter(deps: NodeLogWriterDeps): NodeLogWriter {
  let queue: NodeLogEntry[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (queue.length > 0) {
      const batch = queue;
      queue = [];
      writing = writing.then(() => deps.insert(batch)).then(
        () => undefined,
        (err) => deps.onError(err),
      );
    }
    return writing;
  };

  return {
    sink: {
      async write(entries, options) {
        queue.push(...entries);
        if (options?.now) return flush();
        if (queue.length > 0) timer ??= setTimeout(flush, LOG_BATCH_MS);
      },
    },
    flush,
  };
}
