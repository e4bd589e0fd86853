import { randomUUID } from 'node:crypto';
import { type Knex } from 'knex';
import { codecFor } from '../codec';
import { type OwnerScope, type Page, type PageOptions, selectPage } from '../query-helpers';
import { nowIso, toIso } from '../time';

/** Where a delivery stands: still trying, done, or given up. */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event delivered (or being delivered) to one subscription; its attempts update the row. */
export interface WebhookDeliveryRow {
  id: string;
  webhook_id: string;
  event: string;
  status: WebhookDeliveryStatus;
  /** The run the event is about. */
  execution_id: string | null;
  /** The body sent with every attempt. */
  payload: unknown;
  /** HTTP status of the receiver's last answer; null when no answer (network error, timeout). */
  status_code: number | null;
  success: boolean;
  /** Attempts made so far. */
  attempt: number;
  /** Error of the last failed attempt (kept after a later success). */
  error: string | null;
  created_at: string;
  delivered_at: string | null;
  /** When its delivery workflow was started; null: not yet (Temporal was unreachable). */
  dispatched_at: string | null;
  updated_at: string | null;
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

/** A delivery about to be made: nothing attempted yet. */
export interface NewPendingDelivery {
  /** Derived from the subscription, the run and the event, so the same event is recorded once. */
  id: string;
  webhook_id: string;
  event: string;
  execution_id: string | null;
  payload: unknown;
}

/** The outcome of one attempt. */
export interface DeliveryAttempt {
  /** The attempt's number (1 for the first). */
  attempt: number;
  status: WebhookDeliveryStatus;
  status_code: number | null;
  /** Kept as it was when undefined (a success does not erase the last failure). */
  error?: string | null;
}

/** The delivery log of outbound webhooks. */
export interface WebhookDeliveryRepo {
  create(input: NewWebhookDelivery): Promise<WebhookDeliveryRow>;
  /** Records a pending delivery; false when a delivery with this id exists already. */
  createPending(input: NewPendingDelivery): Promise<boolean>;
  get(id: string): Promise<WebhookDeliveryRow | undefined>;
  /** Records an attempt on a pending delivery (a finished one never changes again). */
  recordAttempt(id: string, attempt: DeliveryAttempt): Promise<WebhookDeliveryRow | undefined>;
  /** Records that the delivery's workflow was started. */
  markDispatched(id: string): Promise<void>;
  /** Pending deliveries whose workflow was never started, created before `createdBefore`, oldest first. */
  listUndispatched(options: { createdBefore: string; limit: number }): Promise<WebhookDeliveryRow[]>;
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
    payload: codec.fromJson(r.payload),
    status_code: codec.intOrNull(r.status_code),
    success: codec.bool(r.success),
    attempt: codec.int(r.attempt),
  });

  return {
    async create(input) {
      const now = nowIso();
      const [r] = await db('webhook_deliveries')
        .insert({
          id: randomUUID(),
          webhook_id: input.webhook_id,
          event: input.event,
          status: input.success ? 'delivered' : 'failed',
          status_code: input.status_code ?? null,
          success: input.success,
          attempt: input.attempt ?? 1,
          error: input.error ?? null,
          created_at: now,
          updated_at: now,
          delivered_at: input.success ? now : null,
        })
        .returning('*');
      return fromRow(r);
    },

    async createPending(input) {
      const now = nowIso();
      const rows = await db('webhook_deliveries')
        .insert({
          id: input.id,
          webhook_id: input.webhook_id,
          event: input.event,
          status: 'pending',
          execution_id: input.execution_id,
          payload: codec.toJson(input.payload),
          success: false,
          attempt: 0,
          created_at: now,
          updated_at: now,
        })
        .onConflict('id')
        .ignore()
        .returning('id');
      return rows.length > 0;
    },

    async get(id) {
      const r = await db('webhook_deliveries').where({ id }).first();
      return r ? fromRow(r) : undefined;
    },

    async recordAttempt(id, a) {
      const now = nowIso();
      const changes: Record<string, unknown> = {
        status: a.status,
        success: a.status === 'delivered',
        attempt: a.attempt,
        status_code: a.status_code,
        updated_at: now,
      };
      if (a.error !== undefined) changes.error = a.error;
      if (a.status === 'delivered') changes.delivered_at = now;
      const [r] = await db('webhook_deliveries').where({ id, status: 'pending' }).update(changes).returning('*');
      return r ? fromRow(r) : undefined;
    },

    async markDispatched(id) {
      await db('webhook_deliveries').where({ id }).whereNull('dispatched_at').update({ dispatched_at: nowIso() });
    },

    async listUndispatched({ createdBefore, limit }) {
      const rows = await db('webhook_deliveries')
        .where({ status: 'pending' })
        .whereNull('dispatched_at')
        .andWhere('created_at', '<', createdBefore)
        .orderBy('created_at', 'asc')
        .limit(limit);
      return rows.map(fromRow);
    },

    async list(webhookId, options = {}) {
      const q = db('webhook_deliveries as d').where('d.webhook_id', webhookId);
      if (options.ownerId !== undefined) {
        q.join('webhooks as w', 'w.id', 'd.webhook_id').andWhere('w.owner_id', options.ownerId);
      }
      const { items: rows, total } = await selectPage(q, options, 'd.*', [
        { column: 'd.created_at', order: 'desc' },
        { column: 'd.id', order: 'desc' },
      ]);
      return { items: rows.map(fromRow), total };
    },

    async deleteOlderThan(cutoff) {
      return db('webhook_deliveries').where('created_at', '<', toIso(cutoff)).delete();
    },
  };
}
