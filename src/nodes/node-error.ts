// Its own module: credentials and net/ throw it, and node-definition imports their types.
/** A node failure; `retryable: false` stops retries at once (bad config, HTTP 4xx…). */
export class NodeError extends Error {
  constructor(
    message: string,
    readonly options: { retryable?: boolean; type?: string; details?: unknown; nextRetryDelayMs?: number } = {},
  ) {
    super(message);
    this.name = 'NodeError';
  }
}
