import { randomUUID } from 'node:crypto';
import { type Knex } from 'knex';
import { codecFor } from '../codec';
import { type OwnerScope, type Page, type PageOptions, selectPage } from '../query-helpers';
import { nowIso, toIso } from '../time';

/** An event id an owner has already delivered (`POST /events` with `id`), and the runs it started. */
export interface EventSeenRow {
  id: string;
  owner_id: string;
  event_type: string;
  event_key: string;
  execution_ids: string[];
  created_at: string;
}

/** What claiming an event key takes. */
export interface NewEventSeen {
  owner_id: string;
  event_type: string;
  event_key: string;
  execution_ids?: string[];
}

/** Event deduplication: keys are unique per owner. */
export interface EventSeenRepo {
  /**
   * Records the key unless the owner has seen it already. `created: false` returns the earlier
   * record, so the caller can answer with the runs the first delivery started.
   */
  claim(input: NewEventSeen): Promise<{ event: EventSeenRow; created: boolean }>;
  find(ownerId: string, eventKey: string): Promise<EventSeenRow | undefined>;
  setExecutionIds(id: string, executionIds: string[]): Promise<void>;
  /** Newest first. */
  list(options?: PageOptions & OwnerScope): Promise<Page<EventSeenRow>>;
  delete(id: string, scope?: OwnerScope): Promise<boolean>;
  /** Forgets keys recorded before `cutoff` (retention); returns how many. */
  deleteOlderThan(cutoff: string | Date): Promise<number>;
}

/** The event deduplication repository over `db`. */
export function createEventSeenRepo(db: Knex): EventSeenRepo {
  const codec = codecFor(db);
  const fromRow = (r: Record<string, unknown>): EventSeenRow => ({
    ...(r as unknown as EventSeenRow),
    execution_ids: codec.fromJson<string[]>(r.execution_ids) ?? [],
  });
  const find = async (ownerId: string, eventKey: string) => {
    const r = await db('events_seen').where({ owner_id: ownerId, event_key: eventKey }).first();
    return r ? fromRow(r) : undefined;
  };

  return {
    async claim(input) {
      const [r] = await db('events_seen')
        .insert({
          id: randomUUID(),
          owner_id: input.owner_id,
          event_type: input.event_type,
          event_key: input.event_key,
          execution_ids: codec.toJson(input.execution_ids ?? []),
          created_at: nowIso(),
        })
        .onConflict(['owner_id', 'event_key'])
        .ignore()
        .returning('*');
      if (r) return { event: fromRow(r), created: true };
      const existing = await find(input.owner_id, input.event_key);
      if (!existing) throw new Error('event key conflict but no record holds it');
      return { event: existing, created: false };
    },

    find,

    async setExecutionIds(id, executionIds) {
      await db('events_seen')
        .where({ id })
        .update({ execution_ids: codec.toJson(executionIds) });
    },

    async list(options = {}) {
      const q = db('events_seen');
      if (options.ownerId !== undefined) q.where({ owner_id: options.ownerId });
      const { items: rows, total } = await selectPage(q, options, '*', [
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
      return { items: rows.map(fromRow), total };
    },

    async delete(id, scope = {}) {
      const q = db('events_seen').where({ id });
      if (scope.ownerId !== undefined) q.andWhere({ owner_id: scope.ownerId });
      return (await q.delete()) > 0;
    },

    async deleteOlderThan(cutoff) {
      return db('events_seen').where('created_at', '<', toIso(cutoff)).delete();
    },
  };
}
