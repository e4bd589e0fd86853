import { randomUUID } from 'node:crypto';
import { type Knex } from 'knex';
import { codecFor } from '../codec';
import { countRows, type OwnerScope, type Page, type PageOptions, pageBounds } from '../query-helpers';
import { nowIso, toIso } from '../time';

/** One delivery attempt of an outbound webhook. */
export interface WebhookDeliveryRow {
  id: string;
  webhook_id: string;
  event: string;
  /** HTTP status of the receiver's answer; null when no answer (network error, timeout). */
  status_code: number | null;
  success: boolean;
  attempt: number;
  error: string | null;
  created_at: string;
}

/** What recording a delivery attempt takes. */
export interface NewWebhookDelivery {
  webhook_id: string;
  event: string;
  status_code?: number | null;
  success: boolean;
  /** Default 1. */
  attempt?: number;
  error?: string | null;
}

/** The delivery log of outbound webhooks. */
export interface WebhookDeliveryRepo {
  create(input: NewWebhookDelivery): Promise<WebhookDeliveryRow>;
  /** A subscription's deliveries, newest first; with `ownerId`, only if the subscription is theirs. */
  list(webhookId: string, options?: PageOptions & OwnerScope): Promise<Page<WebhookDeliveryRow>>;
  /** Retention: deletes deliveries recorded before `cutoff`; returns how many. */
  deleteOlderThan(cutoff: string | Date): Promise<number>;
}

/** The webhook delivery repository over `db`. */
export function createWebhookDeliveryRepo(db: Knex): WebhookDeliveryRepo {
  const codec = codecFor(db);
  const fromRow = (r: Record<string, unknown>): WebhookDeliveryRow => ({
    ...(r as unknown as WebhookDeliveryRow),
    status_code: codec.intOrNull(r.status_code),
    success: codec.bool(r.success),
    attempt: codec.int(r.attempt),
  });

  return {
    async create(input) {
      const [r] = await db('webhook_deliveries')
        .insert({
          id: randomUUID(),
          webhook_id: input.webhook_id,
          event: input.event,
          status_code: input.status_code ?? null,
          success: input.success,
          attempt: input.attempt ?? 1,
          error: input.error ?? null,
          created_at: nowIso(),
        })
        .returning('*');
      return fromRow(r);
    },

    async list(webhookId, options = {}) {
      const { skip, limit } = pageBounds(options);
      const q = db('webhook_deliveries as d').where('d.webhook_id', webhookId);
      if (options.ownerId !== undefined) {
        q.join('webhooks as w', 'w.id', 'd.webhook_id').andWhere('w.owner_id', options.ownerId);
      }
      const page = q
        .clone()
        .select('d.*')
        .orderBy([
          { column: 'd.created_at', order: 'desc' },
          { column: 'd.id', order: 'desc' },
        ])
        .offset(skip)
        .limit(limit);
      const [total, rows] = await Promise.all([countRows(q), page]);
      return { items: rows.map(fromRow), total };
    },

    async deleteOlderThan(cutoff) {
      return db('webhook_deliveries').where('created_at', '<', toIso(cutoff)).delete();
    },
  };
}
