import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Logger } from 'pino';
import type { RunTransition } from '../../shared/run-transitions';
import { DELIVER_WEBHOOK, type DeliverWebhookInput } from '../../shared/webhook-delivery';
import type { ExecutionRow, Repos, WebhookRow } from '../../storage';
import type { TemporalGate } from '../../temporal/temporal-gate';
import { derivedId, type LinkSigner } from '../approval-links/link-tokens';
import { noticesFromTransitions, terminalNotice, type RunNotice } from './webhook-events';

/** What the dispatcher needs. */
export interface WebhookDispatcherDeps {
  repos: Repos;
  client: Client;
  /** Short deadlines and fail-fast while Temporal is down (an unstarted delivery is started later). */
  gate: TemporalGate;
  taskQueue: string;
  links: LinkSigner;
  /** Base URL of decision links (`PUBLIC_URL`, else the API's own address). */
  publicUrl: () => string;
  logger: Pick<Logger, 'warn'>;
}

/** A delivery left unstarted is started by {@link WebhookDispatcher.dispatchPending} after this long. */
const UNDISPATCHED_GRACE_MS = 5_000;

/**
 * The id of the delivery of an event to a subscription: derived from `<webhook id>:<execution
 * id>:<event>[:<node or reminder>]`, so the same event reported twice (a retried report, the
 * reconciler, a continued-as-new run starting again) is one delivery.
 */
export function deliveryIdFor(webhookId: string, notice: Pick<RunNotice, 'execution_id' | 'event' | 'discriminator'>): string {
  const suffix = notice.discriminator ? `:${notice.discriminator}` : '';
  return derivedId(`${webhookId}:${notice.execution_id}:${notice.event}${suffix}`);
}

/**
 * Turns what happens to runs into webhook deliveries: for each event, the run owner's enabled
 * subscriptions to it (all flows, or the run's flow) each get a delivery row with the body to
 * send, and a `deliverWebhook` workflow that sends it with retries (src/services/webhooks/
 * webhook-sender.ts). Called by the worker's run index sink after each batch is written, and by
 * the reconciler for runs that ended without reporting it.
 */
export function createWebhookDispatcher(deps: WebhookDispatcherDeps) {
  const { repos, logger } = deps;

  async function start(id: string): Promise<void> {
    const input: DeliverWebhookInput = { delivery_id: id };
    try {
      await deps.gate.call(() =>
        deps.client.workflow.start(DELIVER_WEBHOOK.workflow, {
          taskQueue: deps.taskQueue,
          workflowId: `${DELIVER_WEBHOOK.idPrefix}${id}`,
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        }),
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    await repos.webhookDeliveries.markDispatched(id);
  }

  function body(id: string, notice: RunNotice, row: ExecutionRow): Record<string, unknown> {
    const data: Record<string, unknown> = { execution_id: row.id, workflow_id: row.flow_id, ...notice.data };
    if (notice.event === 'approval.requested' || notice.event === 'approval.reminder') {
      Object.assign(data, deps.links.linksFor({ execution_id: row.id, ...notice.approval! }, deps.publicUrl()));
    }
    return { id, event: notice.event, timestamp: notice.at, data };
  }

  async function dispatch(notices: RunNotice[]): Promise<void> {
    // One cheap query instead of a run row and its owner's subscriptions per batch when nobody subscribes.
    if (notices.length === 0 || !(await repos.webhooks.anyActive())) return;
    const runs = new Map<string, Promise<ExecutionRow | undefined>>();
    const subscriptions = new Map<string, Promise<WebhookRow[]>>();
    for (const notice of notices) {
      if (!runs.has(notice.execution_id)) runs.set(notice.execution_id, repos.executions.get(notice.execution_id));
      const row = await runs.get(notice.execution_id);
      // Node tests are not runs of a stored flow: nobody subscribes to them.
      if (!row || row.trigger?.type === 'test') continue;
      const key = `${row.owner_id} ${notice.event}`;
      if (!subscriptions.has(key)) subscriptions.set(key, repos.webhooks.listActiveForEvent(row.owner_id, notice.event));
      for (const hook of await subscriptions.get(key)!) {
        if (hook.workflow_id && hook.workflow_id !== row.flow_id) continue;
        const id = deliveryIdFor(hook.id, notice);
        try {
          const created = await repos.webhookDeliveries.createPending({
            id,
            webhook_id: hook.id,
            event: notice.event,
            execution_id: row.id,
            payload: body(id, notice, row),
          });
          if (created) await start(id);
        } catch (err) {
          logger.warn({ err, delivery_id: id, event: notice.event }, 'could not start a webhook delivery; it is started later');
        }
      }
    }
  }

  return {
    /** Delivers the events of a batch of run transitions (the worker's run index sink). */
    dispatchTransitions(batch: readonly RunTransition[]): Promise<void> {
      return dispatch(noticesFromTransitions(batch));
    },

    /** Delivers the terminal event of a run that the reconciler found finished. */
    async runFinished(row: ExecutionRow): Promise<void> {
      const notice = terminalNotice(row);
      if (notice) await dispatch([notice]);
    },

    /** Starts the deliveries whose workflow could not be started (Temporal was unreachable); returns how many. */
    async dispatchPending(limit = 100): Promise<number> {
      const createdBefore = new Date(Date.now() - UNDISPATCHED_GRACE_MS).toISOString();
      const rows = await repos.webhookDeliveries.listUndispatched({ createdBefore, limit });
      for (const row of rows) await start(row.id);
      return rows.length;
    },
  };
}

/** The webhook dispatcher. */
export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
