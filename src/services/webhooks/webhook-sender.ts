import { createHmac } from 'node:crypto';
import { NodeError } from '../../nodes/node-error';
import { guardedRequest } from '../../nodes/net/guarded-request';
import type { WebhookAttemptOutcome } from '../../shared/webhook-delivery';
import type { Repos } from '../../storage';
import type { SecretBox } from '../secret-box';

/** What the sender needs. */
export interface WebhookSenderDeps {
  repos: Repos;
  /** Opens the subscriptions' signing secrets. */
  box: SecretBox;
  /** `HTTP_ALLOWED_HOSTS`: destinations allowed despite the private-address guard. */
  allowedHosts: readonly string[];
  /** One request's deadline (default 10 s). */
  timeoutMs?: number;
}

/** Largest answer read from a receiver (the body is not used). */
const MAX_ANSWER_BYTES = 1024 * 1024;

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: the `X-Signature` of a delivery. */
export function signatureOf(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** 2xx delivers; 408, 429 and every other status are tried again, except other 4xx, which fail. */
function classify(status: number): WebhookAttemptOutcome['status'] {
  if (status >= 200 && status < 300) return 'delivered';
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return 'failed';
  return 'retry';
}

/**
 * Sends webhook deliveries, one attempt per call, and records each attempt on the delivery row
 * (the worker's `sendWebhook` activity; Temporal schedules the retries). The body is the one
 * stored with the delivery, byte for byte the same on every attempt; the signature covers a fresh
 * timestamp. Destinations go through the private-address guard of `http-request` on every attempt.
 */
export function createWebhookSender(deps: WebhookSenderDeps) {
  const { repos } = deps;

  async function send(deliveryId: string, attempt: number): Promise<WebhookAttemptOutcome> {
    const delivery = await repos.webhookDeliveries.get(deliveryId);
    if (!delivery) return { status: 'failed', status_code: null, message: 'the delivery no longer exists (its webhook was deleted)' };
    if (delivery.status !== 'pending') return { status: delivery.status, status_code: delivery.status_code };
    const hook = await repos.webhooks.get(delivery.webhook_id);
    const record = async (outcome: WebhookAttemptOutcome) => {
      await repos.webhookDeliveries.recordAttempt(deliveryId, {
        attempt,
        status: outcome.status === 'retry' ? 'pending' : outcome.status,
        status_code: outcome.status_code,
        ...(outcome.message !== undefined ? { error: outcome.message } : {}),
      });
      return outcome;
    };
    if (!hook) return record({ status: 'failed', status_code: null, message: 'the webhook no longer exists' });
    if (!hook.active) return record({ status: 'failed', status_code: null, message: 'the webhook was disabled' });

    let secret: string;
    try {
      secret = hook.secret_encrypted ? deps.box.open<string>(hook.secret_encrypted) : '';
    } catch {
      return record({ status: 'failed', status_code: null, message: 'the signing secret cannot be opened with the configured ENCRYPTION_KEY' });
    }
    const body = JSON.stringify(delivery.payload);
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const res = await guardedRequest({
        method: 'POST',
        url: new URL(hook.url),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'temporal-flows-webhooks',
          'x-event': delivery.event,
          'x-delivery-id': delivery.id,
          'x-timestamp': timestamp,
          'x-signature': signatureOf(secret, timestamp, body),
        },
        body: Buffer.from(body, 'utf8'),
        allowedHosts: deps.allowedHosts,
        timeoutMs: deps.timeoutMs ?? 10_000,
        followRedirects: false,
        maxRedirects: 0,
        maxResponseBytes: MAX_ANSWER_BYTES,
      });
      const status = classify(res.status);
      const message = status === 'delivered' ? undefined : `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
      return record({ status, status_code: res.status, ...(message ? { message } : {}) });
    } catch (err) {
      const retry = !(err instanceof NodeError) || err.options.retryable !== false;
      return record({ status: retry ? 'retry' : 'failed', status_code: null, message: (err as Error).message });
    }
  }

  return {
    sendWebhook: send,

    /** Marks a delivery failed for good, keeping its attempt count and last answer. */
    async abandonWebhook(deliveryId: string, message: string): Promise<void> {
      const d = await repos.webhookDeliveries.get(deliveryId);
      if (!d) return;
      await repos.webhookDeliveries.recordAttempt(deliveryId, { attempt: d.attempt, status: 'failed', status_code: d.status_code, error: message });
    },
  };
}
