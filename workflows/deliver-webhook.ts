import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import { WEBHOOK_RETRY, type DeliverWebhookInput, type WebhookActivities, type WebhookAttemptOutcome } from '../src/shared/webhook-delivery';

const { sendWebhook } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: WEBHOOK_RETRY.attemptTimeoutMs,
  scheduleToCloseTimeout: WEBHOOK_RETRY.giveUpAfterMs,
  retry: {
    initialInterval: WEBHOOK_RETRY.initialIntervalMs,
    backoffCoefficient: WEBHOOK_RETRY.backoffCoefficient,
    maximumInterval: WEBHOOK_RETRY.maximumIntervalMs,
  },
  summary: 'send webhook',
});

const { abandonWebhook } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m' },
  summary: 'give the webhook up',
});

/**
 * Delivers one outbound webhook: `sendWebhook` records every attempt on the delivery and is retried
 * by Temporal with backoff (docs/api-webhooks.md); once its retries run out the delivery is marked
 * failed. One workflow per delivery, with the delivery's id in its workflow id, so it runs once.
 */
export async function deliverWebhook(input: DeliverWebhookInput): Promise<WebhookAttemptOutcome> {
  try {
    return await sendWebhook(input.delivery_id);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const message = err.cause?.message ?? err.message;
    await abandonWebhook(input.delivery_id, `gave up: ${message}`);
    return { status: 'failed', status_code: null, message };
  }
}
