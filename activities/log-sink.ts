import type { NodeLogLevel } from '../src/nodes/node-definition';

/** One log line written by a node activity. */
export interface NodeLogEntry {
  execution_id: string;
  node_id: string | null;
  node_type: string | null;
  level: NodeLogLevel;
  message: string;
  data?: Record<string, unknown> | null;
  duration_ms?: number | null;
  timestamp: string;
  /** Lines of a node inside loop bodies: where it ran (`src/shared/step-scope.ts`); absent elsewhere. */
  scope?: string;
  loop_node_id?: string;
  item_index?: number;
}

/** Where node logs go (the execution_logs table in the worker; a memory array in tests). */
export interface LogSink {
  /**
   * Takes a node's lines. The worker's sink writes them a little later, in batches
   * (src/worker/node-log-writer.ts); with `now`, it resolves once they are written.
   */
  write(entries: NodeLogEntry[], options?: { now?: boolean }): Promise<void>;
}

/** A sink that keeps entries in memory (tests, `POST /nodes/test`). */
export function memoryLogSink(): LogSink & { entries: NodeLogEntry[] } {
  const entries: NodeLogEntry[] = [];
  return {
    entries,
    async write(batch) {
      entries.push(...batch);
    },
  };
}
