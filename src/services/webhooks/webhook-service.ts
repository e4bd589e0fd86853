import { randomBytes } from 'node:crypto';
import { notFound, unprocessable } from '../../shared/errors';
import type { Repos, WebhookDeliveryRow, WebhookRow } from '../../storage';
import type { Actor } from '../actor';
import type { SecretBox } from '../secret-box';
import { destinationProblem } from './destination-check';
import { canonicalEvent } from './webhook-events';

/** A subscription as the API returns it (never its secret, except once when created). */
export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  workflow_id: string | null;
  enabled: boolean;
  created_at: string;
  updated_at: string;
  /** Only in the answer that created the subscription. */
  secret?: string;
}

/** A delivery as `GET /webhooks/{id}/deliveries` lists it. */
export interface DeliveryView {
  id: string;
  event: string;
  execution_id: string | null;
  status: WebhookDeliveryRow['status'];
  attempts: number;
  response_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

/** What creating a subscription takes (the API has checked the shapes). */
export interface WebhookInput {
  url: string;
  events: string[];
  secret?: string;
  workflow_id?: string | null;
  enabled?: boolean;
}

/** What the webhook service needs. */
export interface WebhookServiceDeps {
  repos: Repos;
  box: SecretBox;
  allowedHosts: readonly string[];
}

function view(row: WebhookRow): WebhookView {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    workflow_id: row.workflow_id,
    enabled: row.active,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function deliveryView(d: WebhookDeliveryRow): DeliveryView {
  return {
    id: d.id,
    event: d.event,
    execution_id: d.execution_id,
    status: d.status,
    attempts: d.attempt,
    response_status: d.status_code,
    last_error: d.error,
    created_at: d.created_at,
    delivered_at: d.delivered_at,
  };
}

/**
 * Outbound webhook subscriptions (docs/api-webhooks.md). A subscription belongs to the user who
 * made it; nobody else sees it, admins included (its deliveries carry the owner's runs).
 */
export function createWebhookService(deps: WebhookServiceDeps) {
  const { repos } = deps;
  const mine = (actor: Actor) => ({ ownerId: actor.userId });

  /** Canonical event names (aliases resolved, duplicates dropped); 422 naming an unknown one. */
  function events(names: string[]): string[] {
    const out: string[] = [];
    names.forEach((name, i) => {
      const e = canonicalEvent(name);
      if (!e) throw unprocessable('unknown webhook event', { [`events[${i}]`]: `unknown event ${JSON.stringify(name)}` });
      if (!out.includes(e)) out.push(e);
    });
    return out;
  }

  async function checkUrl(url: string): Promise<void> {
    const problem = await destinationProblem(url, deps.allowedHosts);
    if (problem) throw unprocessable('the webhook destination is not allowed', { url: problem });
  }

  async function checkFlow(actor: Actor, workflowId: string | null | undefined): Promise<void> {
    if (!workflowId) return;
    if (!(await repos.flows.get(workflowId, mine(actor)))) {
      throw unprocessable('the workflow does not exist', { workflow_id: 'no workflow of yours has this id' });
    }
  }

  async function own(actor: Actor, id: string): Promise<WebhookRow> {
    const row = await repos.webhooks.get(id, mine(actor));
    if (!row) throw notFound('webhook');
    return row;
  }

  return {
    /** Creates a subscription; the answer carries its signing secret, generated when none was given. */
    async create(actor: Actor, input: WebhookInput): Promise<WebhookView> {
      const list = events(input.events);
      await checkUrl(input.url);
      await checkFlow(actor, input.workflow_id);
      const secret = input.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
      const row = await repos.webhooks.create({
        owner_id: actor.userId,
        url: input.url,
        events: list,
        workflow_id: input.workflow_id ?? null,
        secret_encrypted: deps.box.seal(secret),
        active: input.enabled ?? true,
      });
      return { ...view(row), secret };
    },

    async list(actor: Actor, page: { skip: number; limit: number }) {
      const result = await repos.webhooks.list({ ...mine(actor), ...page });
      return { items: result.items.map(view), total: result.total };
    },

    async get(actor: Actor, id: string): Promise<WebhookView> {
      return view(await own(actor, id));
    },

    /** Changes what is given; a new `secret` replaces the old one (it is not shown again). */
    async update(actor: Actor, id: string, patch: Partial<WebhookInput>): Promise<WebhookView> {
      await own(actor, id);
      const list = patch.events === undefined ? undefined : events(patch.events);
      if (patch.url !== undefined) await checkUrl(patch.url);
      await checkFlow(actor, patch.workflow_id);
      const row = await repos.webhooks.update(
        id,
        {
          url: patch.url,
          events: list,
          workflow_id: patch.workflow_id,
          active: patch.enabled,
          ...(patch.secret !== undefined ? { secret_encrypted: deps.box.seal(patch.secret) } : {}),
        },
        mine(actor),
      );
      if (!row) throw notFound('webhook');
      return view(row);
    },

    /** Deletes the subscription and its delivery log (deliveries under way stop at their next attempt). */
    async remove(actor: Actor, id: string): Promise<void> {
      if (!(await repos.webhooks.delete(id, mine(actor)))) throw notFound('webhook');
    },

    async deliveries(actor: Actor, id: string, page: { skip: number; limit: number }) {
      await own(actor, id);
      const result = await repos.webhookDeliveries.list(id, { ...mine(actor), ...page });
      return { items: result.items.map(deliveryView), total: result.total };
    },
  };
}

/** Outbound webhook subscriptions. */
export type WebhookService = ReturnType<typeof createWebhookService>;
