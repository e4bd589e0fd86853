import { randomUUID } from 'node:crypto';
import { type Knex } from 'knex';
import { codecFor } from '../codec';
import { type OwnerScope, type Page, type PageOptions, selectPage } from '../query-helpers';
import { nowIso } from '../time';

/** An outbound webhook subscription. `events` may contain `*` for every event. */
export interface WebhookRow {
  id: string;
  owner_id: string;
  url: string;
  events: string[];
  /** Only runs of this flow; null: every flow of the owner. */
  workflow_id: string | null;
  /** Signing secret, encrypted by the encryption service. */
  secret_encrypted: string | null;
  active: boolean;
  created_at: string;
  updated_at: string;
}

/** What creating a subscription takes. */
export interface NewWebhook {
  id?: string;
  owner_id: string;
  url: string;
  events: string[];
  workflow_id?: string | null;
  secret_encrypted?: string | null;
  /** Default `true`. */
  active?: boolean;
}

/** Fields of a subscription that can change. */
export interface WebhookPatch {
  url?: string;
  events?: string[];
  workflow_id?: string | null;
  secret_encrypted?: string | null;
  active?: boolean;
}

/** Outbound webhook subscriptions. */
export interface WebhookRepo {
  create(input: NewWebhook): Promise<WebhookRow>;
  get(id: string, scope?: OwnerScope): Promise<WebhookRow | undefined>;
  /** Newest first. */
  list(options?: PageOptions & OwnerScope): Promise<Page<WebhookRow>>;
  /** The owner's active subscriptions to `event` (or to `*`). */
  listActiveForEvent(ownerId: string, event: string): Promise<WebhookRow[]>;
  /** Whether any owner has an active subscription (most installations have none). */
  anyActive(): Promise<boolean>;
  update(id: string, patch: WebhookPatch, scope?: OwnerScope): Promise<WebhookRow | undefined>;
  /** Deletes the subscription and its delivery log. */
  delete(id: string, scope?: OwnerScope): Promise<boolean>;
}

/** The webhook subscription repository over `db`. */
export function createWebhookRepo(db: Knex): WebhookRepo {
  const codec = codecFor(db);
  const fromRow = (r: Record<string, unknown>): WebhookRow => ({
    ...(r as unknown as WebhookRow),
    events: codec.fromJson<string[]>(r.events) ?? [],
    workflow_id: (r.workflow_id as string | null | undefined) ?? null,
    active: codec.bool(r.active),
  });
  const scoped = (id: string, scope: OwnerScope) => {
    const q = db('webhooks').where({ id });
    if (scope.ownerId !== undefined) q.andWhere({ owner_id: scope.ownerId });
    return q;
  };

  return {
    async create(input) {
      const now = nowIso();
      const [r] = await db('webhooks')
        .insert({
          id: input.id ?? randomUUID(),
          owner_id: input.owner_id,
          url: input.url,
          events: codec.toJson(input.events),
          workflow_id: input.workflow_id ?? null,
          secret_encrypted: input.secret_encrypted ?? null,
          active: input.active ?? true,
          created_at: now,
          updated_at: now,
        })
        .returning('*');
      return fromRow(r);
    },

    async get(id, scope = {}) {
      const r = await scoped(id, scope).first();
      return r ? fromRow(r) : undefined;
    },

    async list(options = {}) {
      const q = db('webhooks');
      if (options.ownerId !== undefined) q.where({ owner_id: options.ownerId });
      const { items: rows, total } = await selectPage(q, options, '*', [
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
      return { items: rows.map(fromRow), total };
    },

    async listActiveForEvent(ownerId, event) {
      // Subscriptions per owner are few: filter the event list in code rather than with
      // dialect-specific JSON operators.
      const rows = await db('webhooks')
        .where({ owner_id: ownerId, active: true })
        .orderBy('created_at', 'asc');
      return rows.map(fromRow).filter((w) => w.events.includes(event) || w.events.includes('*'));
    },

    async anyActive() {
      return (await db('webhooks').where({ active: true }).first('id')) !== undefined;
    },

    async update(id, patch, scope = {}) {
      const changes: Record<string, unknown> = { updated_at: nowIso() };
      if (patch.url !== undefined) changes.url = patch.url;
      if (patch.events !== undefined) changes.events = codec.toJson(patch.events);
      if (patch.workflow_id !== undefined) changes.workflow_id = patch.workflow_id;
      if (patch.secret_encrypted !== undefined) changes.secret_encrypted = patch.secret_encrypted;
      if (patch.active !== undefined) changes.active = patch.active;
      const [r] = await scoped(id, scope).update(changes).returning('*');
      return r ? fromRow(r) : undefined;
    },

    async delete(id, scope = {}) {
      return (await scoped(id, scope).delete()) > 0;
    },
  };
}
