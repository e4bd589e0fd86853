import { ApplicationFailure, Context } from '@temporalio/activity';
import { WEBHOOK_RETRY_FAILURE, type WebhookActivities, type WebhookAttemptOutcome } from '../src/shared/webhook-delivery';

/** What the webhook activities need; wired at worker start (src/services/webhooks/webhook-sender.ts). */
export interface WebhookActivityDeps {
  /** Sends delivery `deliveryId` once as attempt number `attempt` and records the attempt. */
  sendWebhook(deliveryId: string, attempt: number): Promise<WebhookAttemptOutcome>;
  /** Marks the delivery failed for good. */
  abandonWebhook(deliveryId: string, message: string): Promise<void>;
}

/** The activities of the `deliverWebhook` workflow. */
export function createWebhookActivities(deps: WebhookActivityDeps): WebhookActivities {
  return {
    async sendWebhook(deliveryId) {
      const outcome = await deps.sendWebhook(deliveryId, Context.current().info.attempt);
      if (outcome.status === 'retry') {
        throw ApplicationFailure.retryable(outcome.message ?? 'not delivered', WEBHOOK_RETRY_FAILURE, { status_code: outcome.status_code });
      }
      return outcome;
    },
    abandonWebhook: (deliveryId, message) => deps.abandonWebhook(deliveryId, message),
  };
}
