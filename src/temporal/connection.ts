import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';

/** A gRPC connection to Temporal and the client bound to one namespace. */
export interface TemporalConnection {
  connection: Connection;
  client: Client;
}

/** Options of {@link connectTemporal}. */
export interface ConnectTemporalOptions {
  /** How long to keep retrying before giving up (default 10 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 250 ms). */
  retryDelayMs?: number;
  /** Stops retrying once aborted. */
  signal?: AbortSignal;
  /** The client's data converter (the platform passes the claim-check codec). */
  dataConverter?: DataConverter;
}

/**
 * gRPC's default reconnect backoff grows to two minutes, so a client kept failing for up to that
 * long after Temporal came back (12–82 s measured). A second at most keeps recovery quick.
 */
export const RECONNECT_CHANNEL_ARGS = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.min_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
} as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Connects to the Temporal frontend at `address` and returns a client for `namespace`.
 * The connect is retried for a few seconds, so callers can start right after the server process.
 */
export async function connectTemporal(
  address: string,
  namespace: string,
  options: ConnectTemporalOptions = {},
): Promise<TemporalConnection> {
  const connection = await connectWithRetry(address, options);
  return { connection, client: new Client({ connection, namespace, dataConverter: options.dataConverter }) };
}

/** Opens a {@link Connection} whose server answered `getSystemInfo`, retrying until `timeoutMs`. */
export async function connectWithRetry(address: string, options: ConnectTemporalOptions = {}): Promise<Connection> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const remaining = Math.max(500, Math.min(5_000, deadline - Date.now()));
      // Connection.connect is eager: it fails unless the frontend answers.
      return await Connection.connect({ address, connectTimeout: remaining, channelArgs: RECONNECT_CHANNEL_ARGS });
    } catch (err) {
      if (options.signal?.aborted || Date.now() + retryDelayMs >= deadline) {
        throw new Error(`Could not connect to Temporal at ${address} within ${timeoutMs} ms: ${(err as Error).message}`);
      }
      await sleep(retryDelayMs);
    }
  }
}
