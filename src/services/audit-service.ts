import type { AuditLogFilter, AuditLogRow, AuditLogStats, NewAuditLog, Page, PageOptions, Repos } from '../storage';
import type { Actor } from './actor';

/** An entry to record; `owner_id` undefined: the resource's owner, looked up (else the actor). */
export type AuditEntry = Omit<NewAuditLog, 'owner_id'> & { owner_id?: string | null };

/** Filters of the audit log as the API takes them. */
export type AuditQuery = Omit<AuditLogFilter, 'visibleTo'>;

/** The audit trail: recording state changes, and reading them back per caller. */
export interface AuditService {
  /** Stores the entries, resolving each one's owner where the recorder left it open. */
  record(entries: readonly AuditEntry[]): Promise<void>;
  /** Entries the actor may see (their own trail; every entry for admins), newest first. */
  list(actor: Actor, query: AuditQuery & PageOptions): Promise<Page<AuditLogRow>>;
  /** Counts by action and by day over the same entries as {@link list}. */
  stats(actor: Actor, query: AuditQuery): Promise<AuditLogStats>;
}

/**
 * Creates the audit service. An entry belongs to the trail of its `owner_id`: the acting user, or —
 * when no user acted (a webhook, an approval link) or an admin acted on someone else's resource —
 * the owner of the flow or run it names, so owners see what was done to their resources.
 */
export function createAuditService({ repos }: { repos: Repos }): AuditService {
  const ownerOf = async (type: string, id: string | null): Promise<string | undefined> => {
    if (!id) return undefined;
    if (type === 'workflow') return (await repos.flows.get(id, { includeDeleted: true }))?.owner_id;
    if (type === 'execution') return (await repos.executions.get(id))?.owner_id;
    return undefined;
  };
  return {
    async record(entries) {
      const resolved: NewAuditLog[] = [];
      for (const e of entries) {
        const owner = e.owner_id !== undefined ? e.owner_id : ((await ownerOf(e.resource_type, e.resource_id)) ?? e.actor_id);
        resolved.push({ ...e, owner_id: owner ?? null });
      }
      await repos.auditLogs.insertMany(resolved);
    },
    list: (actor, query) => repos.auditLogs.list({ ...query, visibleTo: actor.ownerId }),
    stats: (actor, query) => repos.auditLogs.stats({ ...query, visibleTo: actor.ownerId }),
  };
}
