import type { Connection } from '@temporalio/client';
import type { Repos } from '../storage';

/** How long `namespace` keeps closed runs' histories, in ms (undefined when it does not say). */
export async function namespaceRetentionMs(connection: Connection, namespace: string): Promise<number | undefined> {
  const ns = await connection.workflowService.describeNamespace({ namespace });
  const seconds = Number(String(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0));
  return seconds > 0 ? seconds * 1000 : undefined;
}

/** What one collection did. */
export interface PayloadCollection {
  /** Blobs last used before this time (ISO) were deleted. */
  cutoff: string;
  deleted: number;
}

/**
 * Deletes the stored payloads (`payload_blobs`, written by the claim-check codec) that no run can
 * still need. A run only references blobs it stored itself (storing an existing blob again marks
 * it used), so every blob a run references was last used after the run was created. A blob is
 * therefore kept while any run created before its last use is still active — a worker may replay
 * that run's history — or finished less than `retentionMs` ago, while Temporal keeps its history
 * and the API may still read its steps. Runs the index does not know (none are started without a
 * row) are covered by never deleting anything used within `retentionMs`.
 */
export async function collectPayloadBlobs(repos: Repos, retentionMs: number, now = Date.now()): Promise<PayloadCollection> {
  const since = new Date(now - retentionMs).toISOString();
  const oldest = await repos.executions.oldestCreatedAtActiveOrFinishedSince(since);
  const cutoff = oldest !== undefined && oldest < since ? oldest : since;
  return { cutoff, deleted: await repos.payloadBlobs.deleteUnusedBefore(cutoff) };
}

/** How often an API process collects stored payloads. */
export const PAYLOAD_COLLECT_INTERVAL_MS = 10 * 60_000;
/** Used when the namespace does not say how long it keeps closed runs' histories. */
const DEFAULT_RETENTION_MS = 7 * 24 * 3_600_000;

/** Options of {@link startPayloadCollector}. */
export interface PayloadCollectorOptions {
  repos: Repos;
  /** The namespace's retention of closed runs' histories, asked for every time. */
  retentionMs: () => Promise<number | undefined>;
  onCollected?: (c: PayloadCollection) => void;
  onError?: (err: unknown) => void;
  intervalMs?: number;
}

/** Runs {@link collectPayloadBlobs} every `intervalMs` (first after one interval); returns a stop function. */
export function startPayloadCollector(options: PayloadCollectorOptions): () => void {
  const collect = async () => {
    const retention = (await options.retentionMs()) || DEFAULT_RETENTION_MS;
    options.onCollected?.(await collectPayloadBlobs(options.repos, retention));
  };
  const timer = setInterval(() => {
    collect().catch((err) => options.onError?.(err));
  }, options.intervalMs ?? PAYLOAD_COLLECT_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
