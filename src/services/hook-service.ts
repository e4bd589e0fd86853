import { randomUUID } from 'node:crypto';
import { Unauthenticated, conflict, notFound } from '../shared/errors';
import type { RunTrigger } from '../shared/flow';
import type { FlowHookRow, FlowRow, FlowTrigger, HookAuth, Repos } from '../storage';
import type { Actor } from './actor';
import type { FlowTriggerHandler } from './flow-triggers';
import {
  hashHookToken,
  newHookToken,
  newSigningSecret,
  signatureProblem,
  tokenMatches,
  type SignedRequest,
} from './hook-credentials';
import type { ExecutionView, RunService } from './run-service';
import type { SecretBox } from './secret-box';

/** How long a hook with `respond: "result"` waits for its run before answering that it is still going. */
export const HOOK_RESULT_WAIT_MS = 30_000;

/** What a new token or secret reveals, once: `{hook: {url, token}}` or `{hook: {url, secret}}`. */
export type HookReveal = {
  hook: { url: string; token: string } | { url: string; secret: string };
};

/** A flow that can be started by its webhook, with the hook's credentials. */
export interface LiveHook {
  flow: FlowRow;
  hook: FlowHookRow;
}

/** What a delivery did: the run, and (with `respond: "result"`) whether it finished in time. */
export interface Delivered {
  execution: ExecutionView;
  /** Only with `respond: "result"`. */
  finished?: boolean;
}

/** The path a flow's webhook answers on, under the API's base URL. */
export const hookPath = (flowId: string) => `/hooks/${flowId}`;

/** What the hook service needs. */
export interface HookServiceDeps {
  repos: Repos;
  runs: RunService;
  /** Seals signing secrets at rest. */
  box: SecretBox;
  /** The API's public base URL (`PUBLIC_URL`, else its own address), for the hook URLs shown to owners. */
  baseUrl?: () => string | undefined;
}

const isHook = (trigger: FlowTrigger | undefined) => trigger?.type === 'webhook';
const authOf = (trigger: FlowTrigger): HookAuth => (trigger.auth === 'hmac' ? 'hmac' : 'token');
const unauthenticated = (message: string) => new Unauthenticated(message);

/** The body as a run sees it: parsed JSON, or the text when it is not JSON; `{}` when empty. */
export function hookBodyValue(body: Buffer): unknown {
  if (body.length === 0) return {};
  const text = body.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Inbound webhooks (docs/api-triggers.md): the credentials of flows whose trigger is
 * `{type: "webhook", auth}` — issued when a flow gets such a trigger or changes its `auth`, shown
 * once, rotated on demand, forgotten when it loses the trigger or is deleted — and the deliveries
 * (`POST /hooks/{flow id}`), each starting a run of the flow as its owner.
 */
export function createHookService({ repos, runs, box, baseUrl }: HookServiceDeps) {
  /** New credentials for `flow`, replacing any it had; returns what the owner is shown once. */
  async function issue(flow: FlowRow): Promise<HookReveal> {
    const url = `${baseUrl?.() ?? ''}${hookPath(flow.id)}`;
    if (authOf(flow.trigger) === 'hmac') {
      const secret = newSigningSecret();
      await repos.flowHooks.put({ flow_id: flow.id, owner_id: flow.owner_id, auth: 'hmac', secret_encrypted: box.seal(secret) });
      return { hook: { url, secret } };
    }
    const token = newHookToken();
    await repos.flowHooks.put({ flow_id: flow.id, owner_id: flow.owner_id, auth: 'token', token_hash: hashHookToken(token) });
    return { hook: { url, token } };
  }

  /** Keeps a flow's hook credentials in line with its trigger (registered with the flow service). */
  const triggerHandler: FlowTriggerHandler = {
    async saved(flow, previous) {
      if (!isHook(flow.trigger)) {
        if (isHook(previous?.trigger)) await repos.flowHooks.delete(flow.id);
        return;
      }
      if (previous && isHook(previous.trigger) && authOf(previous.trigger) === authOf(flow.trigger)) {
        const existing = await repos.flowHooks.get(flow.id);
        if (existing?.auth === authOf(flow.trigger)) return;
      }
      return issue(flow);
    },
    async deleted(flow) {
      await repos.flowHooks.delete(flow.id);
    },
  };

  return {
    triggerHandler,

    /** New credentials for the owner's webhook flow (the old ones stop working at once). */
    async rotate(actor: Actor, flowId: string): Promise<HookReveal> {
      // Owner only: an admin sees other users' flows, but their hooks' secrets are not theirs to take.
      const flow = await repos.flows.get(flowId, { ownerId: actor.userId });
      if (!flow) throw notFound('workflow');
      if (!isHook(flow.trigger)) throw conflict('the workflow has no webhook trigger');
      return issue(flow);
    },

    /**
     * The hook of a flow that a delivery may start: 404 for an unknown, deleted, disabled or
     * archived flow, or one whose trigger is not a webhook.
     */
    async find(flowId: string): Promise<LiveHook> {
      const flow = await repos.flows.get(flowId);
      if (!flow || !flow.enabled || flow.status === 'archived' || !isHook(flow.trigger)) throw notFound('webhook');
      const hook = await repos.flowHooks.get(flow.id);
      if (!hook || hook.auth !== authOf(flow.trigger)) throw notFound('webhook');
      return { flow, hook };
    },

    /** 401 unless `token` is the hook's (for a token hook); a signed hook is checked with the body. */
    checkToken({ hook }: LiveHook, token: string | undefined): void {
      if (hook.auth !== 'token') return;
      if (!token) throw unauthenticated('a token is required: Authorization: Bearer <token> or ?token=');
      if (!hook.token_hash || !tokenMatches(token, hook.token_hash)) throw unauthenticated('invalid webhook token');
    },

    /** 401 unless the request is signed with the hook's secret within the time tolerance (for a signed hook). */
    checkSignature({ hook }: LiveHook, req: SignedRequest, nowMs = Date.now()): void {
      if (hook.auth !== 'hmac') return;
      if (!hook.secret_encrypted) throw unauthenticated('the webhook has no signing secret');
      const problem = signatureProblem(box.open<string>(hook.secret_encrypted), req, nowMs);
      if (problem) throw unauthenticated(problem);
    },

    /**
     * Starts the flow's run for a delivery, as its owner. The same `deliveryId` again answers the
     * run the first one started. With `respond: "result"`, waits for it (up to {@link HOOK_RESULT_WAIT_MS}).
     */
    async deliver({ flow }: LiveHook, delivery: { body: Buffer; deliveryId?: string }): Promise<Delivered> {
      const owner: Actor = { userId: flow.owner_id, ownerId: flow.owner_id };
      const data = hookBodyValue(delivery.body);
      const trigger: RunTrigger = { type: 'webhook', delivery_id: delivery.deliveryId ?? randomUUID(), data };
      const { execution } = await runs.execute(owner, flow.id, {
        trigger,
        input_data: data,
        // Per flow: one sender's delivery ids may repeat across the flows of one owner.
        idempotency_key: delivery.deliveryId === undefined ? undefined : `hook:${flow.id}:${delivery.deliveryId}`,
      });
      if (flow.trigger.respond !== 'result') return { execution };
      return runs.waitFor(owner, execution.id, HOOK_RESULT_WAIT_MS);
    },
  };
}

/** Inbound webhooks: credentials and deliveries. */
export type HookService = ReturnType<typeof createHookService>;
