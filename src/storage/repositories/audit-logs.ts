import { randomUUID } from 'node:crypto';
import { type Knex } from 'knex';
import { codecFor } from '../codec';
import { countRows, type Page, type PageOptions, pageBounds } from '../query-helpers';
import { nowIso, toIso } from '../time';

/** Who made a change: a user (with a JWT or an API key), a flow's inbound webhook, an approval link. */
export type AuditActorType = 'user' | 'hook' | 'approval_link';

/** One entry of the audit trail. */
export interface AuditLogRow {
  id: string;
  created_at: string;
  actor_id: string | null;
  actor_type: AuditActorType;
  /** The user's name when the change was made. */
  actor_name: string | null;
  /** How a user authenticated: `jwt` or `api_key`. */
  via: string | null;
  api_key_id: string | null;
  /** The user whose trail holds the entry: the actor, or the resource's owner when no user acted. */
  owner_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  method: string;
  /** The route pattern (`/api/v1/workflows/{id}`), never the path: a path may carry a link token. */
  route: string;
  status_code: number;
  request_id: string | null;
  ip: string | null;
  /** Ids and names the recorder chose (an execution id, a node id, a decision); never a request body. */
  details: Record<string, unknown> | null;
}

/** What recording an entry takes (`id` and `created_at` default to new ones). */
export type NewAuditLog = Omit<AuditLogRow, 'id' | 'created_at'> & { id?: string; created_at?: string };

/** Filters of {@link AuditLogRepo.list}; newest entries first. */
export interface AuditLogFilter {
  /** Entries of this user's trail: acted by them, or about their resources (undefined: everyone's, for admins). */
  visibleTo?: string;
  actorId?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  /** Inclusive bounds on `created_at`. */
  since?: string | Date;
  until?: string | Date;
}

/** Counts of entries by action and by UTC day. */
export interface AuditLogStats {
  total: number;
  by_action: { action: string; count: number }[];
  by_day: { date: string; count: number }[];
}

/** The audit trail: append-only. */
export interface AuditLogRepo {
  insertMany(entries: readonly NewAuditLog[]): Promise<void>;
  list(filter: AuditLogFilter & PageOptions): Promise<Page<AuditLogRow>>;
  stats(filter: AuditLogFilter): Promise<AuditLogStats>;
}

// 17 bound values per row, well under SQLite's 32,766 variables.
const INSERT_CHUNK = 500;

/** The audit log repository over `db`. */
export function createAuditLogRepo(db: Knex): AuditLogRepo {
  const codec = codecFor(db);
  const fromRow = ({ seq: _seq, ...r }: Record<string, unknown>): AuditLogRow => ({
    ...(r as unknown as AuditLogRow),
    status_code: codec.int(r.status_code),
    details: codec.fromJson<Record<string, unknown> | null>(r.details),
  });
  const filtered = (f: AuditLogFilter) => {
    const q = db('audit_logs');
    if (f.visibleTo !== undefined) {
      const user = f.visibleTo;
      q.where((w) => {
        w.where('owner_id', user).orWhere('actor_id', user);
      });
    }
    if (f.actorId !== undefined) q.where('actor_id', f.actorId);
    if (f.action !== undefined) q.where('action', f.action);
    if (f.resourceType !== undefined) q.where('resource_type', f.resourceType);
    if (f.resourceId !== undefined) q.where('resource_id', f.resourceId);
    if (f.since !== undefined) q.where('created_at', '>=', toIso(f.since));
    if (f.until !== undefined) q.where('created_at', '<=', toIso(f.until));
    return q;
  };

  return {
    async insertMany(entries) {
      if (entries.length === 0) return;
      const now = nowIso();
      const rows = entries.map((e) => ({ ...e, id: e.id ?? randomUUID(), created_at: e.created_at ?? now, details: codec.toJson(e.details) }));
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) await db('audit_logs').insert(rows.slice(i, i + INSERT_CHUNK));
    },

    async list(filter) {
      const { skip, limit } = pageBounds(filter);
      const q = filtered(filter);
      const rows: Record<string, unknown>[] = await q
        .clone()
        .select('*')
        .orderBy('seq', 'desc')
        .offset(skip)
        .limit(limit);
      return { items: rows.map(fromRow), total: await countRows(q) };
    },

    async stats(filter) {
      const q = filtered(filter);
      const day = 'substr(created_at, 1, 10)';
      const [byAction, byDay] = await Promise.all([
        q.clone().select('action').count({ n: '*' }).groupBy('action').orderBy([{ column: 'n', order: 'desc' }, { column: 'action' }]),
        q.clone().select(db.raw(`${day} as day`)).count({ n: '*' }).groupByRaw(day).orderByRaw(day),
      ]);
      const by_action = (byAction as { action: string; n: number | string }[]).map((r) => ({ action: r.action, count: Number(r.n) }));
      return {
        total: by_action.reduce((sum, r) => sum + r.count, 0),
        by_action,
        by_day: (byDay as { day: string; n: number | string }[]).map((r) => ({ date: r.day, count: Number(r.n) })),
      };
    },
  };
}
