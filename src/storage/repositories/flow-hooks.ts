import { type Knex } from 'knex';
import { nowIso } from '../time';

/** How a flow's inbound webhook authenticates its callers. */
export type HookAuth = 'token' | 'hmac';

/** The credentials of a flow's inbound webhook (one per flow). */
export interface FlowHookRow {
  flow_id: string;
  owner_id: string;
  auth: HookAuth;
  /** `auth: token`: hex SHA-256 of the token (the token itself is never stored). */
  token_hash: string | null;
  /** `auth: hmac`: the signing secret, sealed by the secret box. */
  secret_encrypted: string | null;
  created_at: string;
  /** When the current token or secret was issued. */
  issued_at: string;
}

/** What issuing a hook's credentials stores. */
export interface NewFlowHook {
  flow_id: string;
  owner_id: string;
  auth: HookAuth;
  token_hash?: string | null;
  secret_encrypted?: string | null;
}

/** Inbound webhook credentials, keyed by flow. */
export interface FlowHookRepo {
  get(flowId: string): Promise<FlowHookRow | undefined>;
  /** Stores the flow's credentials, replacing the ones it had (the old token or secret stops working). */
  put(hook: NewFlowHook): Promise<FlowHookRow>;
  /** Forgets the flow's credentials; false when it had none. */
  delete(flowId: string): Promise<boolean>;
}

/** The flow hook repository over `db`. */
export function createFlowHookRepo(db: Knex): FlowHookRepo {
  return {
    async get(flowId) {
      return (await db('flow_hooks').where({ flow_id: flowId }).first()) as FlowHookRow | undefined;
    },

    async put(hook) {
      const now = nowIso();
      const values = {
        owner_id: hook.owner_id,
        auth: hook.auth,
        token_hash: hook.token_hash ?? null,
        secret_encrypted: hook.secret_encrypted ?? null,
        issued_at: now,
      };
      const [row] = await db('flow_hooks')
        .insert({ flow_id: hook.flow_id, created_at: now, ...values })
        .onConflict('flow_id')
        .merge(values)
        .returning('*');
      return row as FlowHookRow;
    },

    async delete(flowId) {
      return (await db('flow_hooks').where({ flow_id: flowId }).delete()) > 0;
    },
  };
}
