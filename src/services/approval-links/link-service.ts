import { Conflict, conflict, Gone, NotFound, Unauthenticated } from '../../shared/errors';
import type { Approver } from '../../shared/flow';
import { approvalKey, type Repos } from '../../storage';
import type { LinkClaims, LinkSigner } from './link-tokens';

/**
 * Who decides through a link: the run's owner sent the link to whoever holds it, so the run lets
 * it decide as an admin would (RunState.validateApproval); `decided_by` reads `link`.
 */
export const LINK_APPROVER: Approver = { id: 'link', username: 'link', role: 'admin' };

/** A decision as the approve update answers it. */
export interface LinkDecision {
  decision: string;
  comment: string | null;
  decided_by: string | null;
  decided_at: string;
}

/** What the link service needs. */
export interface ApprovalLinkServiceDeps {
  repos: Repos;
  links: LinkSigner;
  /** Sends the decision to the run (the approve update), as `user`. */
  decide(executionId: string, nodeId: string, req: { decision: 'approve' | 'reject'; comment?: string }, user: Approver): Promise<LinkDecision>;
  now?: () => number;
}

/** What a link would decide, for `GET /approvals/links/{token}`. */
export interface LinkPreview {
  execution_id: string;
  workflow_id: string | null;
  node_id: string;
  title: string | null;
  decision: 'approve' | 'reject';
  expires_at: string;
  /** Whether the link was used already. */
  used: boolean;
  /** Whether the approval still waits for a decision. */
  waiting: boolean;
}

/**
 * Approval decisions through the signed links of `approval.requested` webhooks: usable without an
 * account, each once, until the approval times out (or {@link LINK_MAX_AGE_MS}).
 */
export function createApprovalLinkService(deps: ApprovalLinkServiceDeps) {
  const { repos } = deps;
  const now = deps.now ?? Date.now;

  /** The claims of a valid, unexpired token: 401 when it was altered, 410 once expired. */
  function check(token: string): LinkClaims {
    const claims = deps.links.verify(token);
    if (!claims) throw new Unauthenticated('the approval link is not valid');
    if (now() > claims.expires_at) throw new Gone('the approval link has expired', { expires_at: new Date(claims.expires_at).toISOString() });
    return claims;
  }

  return {
    /** What the link would decide; never decides. */
    async preview(token: string): Promise<LinkPreview> {
      const c = check(token);
      const [use, pending, run] = await Promise.all([
        repos.approvalLinks.get(c.link_id),
        repos.approvals.get(approvalKey(c.execution_id, c.scope, c.node_id)),
        repos.executions.get(c.execution_id),
      ]);
      return {
        execution_id: c.execution_id,
        workflow_id: run?.flow_id ?? null,
        node_id: c.node_id,
        title: pending?.title ?? null,
        decision: c.decision,
        expires_at: new Date(c.expires_at).toISOString(),
        used: Boolean(use),
        waiting: Boolean(pending),
      };
    },

    /** Decides the approval as the link says: 409 when the link was used or the approval is not waiting. */
    async use(token: string, comment?: string): Promise<LinkDecision & { execution_id: string; node_id: string }> {
      const c = check(token);
      const claimed = await repos.approvalLinks.claim({ link_id: c.link_id, execution_id: c.execution_id, node_id: c.node_id, decision: c.decision });
      if (!claimed) throw conflict('the approval link was used already');
      try {
        const decided = await deps.decide(c.execution_id, c.node_id, { decision: c.decision, ...(comment ? { comment } : {}) }, LINK_APPROVER);
        return { ...decided, execution_id: c.execution_id, node_id: c.node_id };
      } catch (err) {
        // Unless the run answered that it cannot take the decision (decided, finished, gone), the link
        // was not spent (Temporal unreachable…) and may be used again.
        if (!(err instanceof Conflict || err instanceof NotFound)) await repos.approvalLinks.release(c.link_id);
        throw err;
      }
    },
  };
}

/** Approval decision links. */
export type ApprovalLinkService = ReturnType<typeof createApprovalLinkService>;
