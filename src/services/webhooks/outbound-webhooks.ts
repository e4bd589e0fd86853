import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import type { Repos } from '../../storage';
import type { TemporalGate } from '../../temporal/temporal-gate';
import { createLinkSigner } from '../approval-links/link-tokens';
import { createSecretBox } from '../secret-box';
import { createWebhookDispatcher } from './webhook-dispatcher';
import { createWebhookSender } from './webhook-sender';
import { createWebhookService } from './webhook-service';

/** What outbound webhooks need from the platform. */
export interface OutboundWebhookDeps {
  config: Config;
  repos: Repos;
  client: Client;
  gate: TemporalGate;
  logger: Pick<Logger, 'warn'>;
}

/**
 * Outbound webhooks, wired once per process: the dispatcher (the worker's run index sink and the
 * reconciler feed it), the sender (the worker's `sendWebhook` activity), the subscription service
 * (the API) and the decision-link signer (both).
 */
export function createOutboundWebhooks(deps: OutboundWebhookDeps) {
  const { config, repos } = deps;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  let publicUrl = config.publicUrl ?? `http://${host}:${config.port}`;
  const box = createSecretBox(config.encryptionKey, config.previousEncryptionKey);
  const links = createLinkSigner(config.jwt.secret);
  const allowedHosts = config.httpAllowedHosts;
  return {
    links,
    dispatcher: createWebhookDispatcher({
      repos,
      client: deps.client,
      gate: deps.gate,
      taskQueue: config.temporal.taskQueue,
      links,
      publicUrl: () => publicUrl,
      logger: deps.logger,
    }),
    sender: createWebhookSender({ repos, box, allowedHosts }),
    service: createWebhookService({ repos, box, allowedHosts }),
    /** The API listens at `url`: the base of decision links unless `PUBLIC_URL` says otherwise. */
    apiListening(url: string): void {
      if (!config.publicUrl) publicUrl = url;
    },
  };
}

/** Outbound webhooks of one process. */
export type OutboundWebhooks = ReturnType<typeof createOutboundWebhooks>;
