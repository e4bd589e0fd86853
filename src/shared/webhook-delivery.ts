/**
 * The contract between the platform and the `deliverWebhook` workflow: its name, input, the
 * activities it calls and their retry schedule. Bundle-safe: names, types and numbers only.
 */

/** Workflow type and workflow id prefix of a delivery. */
export const DELIVER_WEBHOOK = {
  workflow: 'deliverWebhook',
  /** Workflow id: `<prefix><delivery id>`, so a delivery is started once. */
  idPrefix: 'webhook-delivery-',
} as const;

/** Input of `deliverWebhook`: the delivery row holds everything else (URL, body, secret). */
export interface DeliverWebhookInput {
  delivery_id: string;
}

/** What one attempt came to; `retry` makes the activity fail so that Temporal tries again. */
export interface WebhookAttemptOutcome {
  status: 'delivered' | 'failed' | 'retry';
  /** HTTP status of the answer, null without one. */
  status_code: number | null;
  /** Why the attempt did not deliver. */
  message?: string;
}

/** The activities of `deliverWebhook`. */
export interface WebhookActivities {
  /** Sends the delivery once and records the attempt; throws a retryable failure for `retry`. */
  sendWebhook(deliveryId: string): Promise<WebhookAttemptOutcome>;
  /** Marks a delivery failed for good (its retries ran out). */
  abandonWebhook(deliveryId: string, message: string): Promise<void>;
}

/**
 * Retry schedule of `sendWebhook`: 1 s, 2 s, 4 s… up to 5 minutes between attempts, for 24 hours,
 * so a receiver that is down for minutes or hours still gets every event once it is back.
 */
export const WEBHOOK_RETRY = {
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 5 * 60_000,
  /** How long a delivery is retried before it is given up. */
  giveUpAfterMs: 24 * 60 * 60_000,
  /** One attempt's deadline (the request itself times out after 10 s). */
  attemptTimeoutMs: 30_000,
} as const;

/** Failure type of an attempt that Temporal should retry. */
export const WEBHOOK_RETRY_FAILURE = 'WebhookNotDelivered';
