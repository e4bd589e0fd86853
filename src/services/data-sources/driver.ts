import type { DataSourceQuery, DataSourceResult } from '../../nodes/data-sources';
import { NodeError } from '../../nodes/node-error';

/** Connection settings of a database server, from the data source or the credential it names. */
export interface SqlSettings {
  host: string;
  port?: number;
  database: string;
  user?: string;
  password?: string;
  ssl?: boolean;
}

/** An open connection pool of one data source (its settings as of when it was opened). */
export interface DriverPool {
  /** Runs one statement in a transaction that is read-only when `readOnly` (docs/data-sources.md). */
  query(request: DataSourceQuery, readOnly: boolean): Promise<DataSourceResult>;
  /** Connects and asks the server for its version: the message of a successful test. */
  test(): Promise<string>;
  close(): Promise<void>;
}

/** Extra time the client waits past the server's statement timeout before it drops the connection. */
export const CLIENT_TIMEOUT_GRACE_MS = 2_000;

/** A value as it can travel in JSON: bytes as base64, dates as ISO text, big integers as text. */
export function jsonValue(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(jsonValue);
  return value;
}

/** Rows with every column value made JSON-safe (see {@link jsonValue}). */
export function jsonRows(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) out[k] = jsonValue(v);
    return out;
  });
}

/** The error of a query that ran past its timeout (a retry would run as long again). */
export function timeoutError(timeoutMs: number): NodeError {
  return new NodeError(`The query ran longer than its timeout of ${timeoutMs} ms and was cancelled`, {
    retryable: false,
    type: 'QueryTimeout',
  });
}

/** The error of a query given up because its caller went away (run cancelled, activity timed out). */
export function cancelledError(): NodeError {
  return new NodeError('The query was cancelled', { retryable: true, type: 'QueryCancelled' });
}

/** Calls `onFire` once `ms` have passed or `signal` aborts, whichever comes first; returns the function that disarms it. */
export function arm(ms: number, signal: AbortSignal | undefined, onFire: (reason: 'timeout' | 'cancelled') => void): () => void {
  let fired = false;
  const fire = (reason: 'timeout' | 'cancelled') => {
    if (fired) return;
    fired = true;
    onFire(reason);
  };
  const timer = setTimeout(() => fire('timeout'), ms);
  const onAbort = () => fire('cancelled');
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) queueMicrotask(onAbort);
  return () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
}
