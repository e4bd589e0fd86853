import { type Knex } from 'knex';
import { nowIso } from '../time';

/** A used approval decision link. */
export interface ApprovalLinkUse {
  link_id: string;
  execution_id: string;
  node_id: string;
  decision: string;
  used_at: string;
}

/** The approval decision links that were used: each link decides once. */
export interface ApprovalLinkUseRepo {
  /** Marks the link used; false when it was used already (by this or a concurrent request). */
  claim(use: Omit<ApprovalLinkUse, 'used_at'>): Promise<boolean>;
  /** Gives a claimed link back (its decision could not be delivered, e.g. Temporal was down). */
  release(linkId: string): Promise<void>;
  get(linkId: string): Promise<ApprovalLinkUse | undefined>;
}

/** The approval link repository over `db`. */
export function createApprovalLinkUseRepo(db: Knex): ApprovalLinkUseRepo {
  return {
    async claim(use) {
      const rows = await db('approval_link_uses')
        .insert({ ...use, used_at: nowIso() })
        .onConflict('link_id')
        .ignore()
        .returning('link_id');
      return rows.length > 0;
    },

    async release(linkId) {
      await db('approval_link_uses').where({ link_id: linkId }).delete();
    },

    async get(linkId) {
      return (await db('approval_link_uses').where({ link_id: linkId }).first()) as ApprovalLinkUse | undefined;
    },
  };
}
