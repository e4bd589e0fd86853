import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** How long a decision link stays valid when its approval has no `timeout_ms`. */
export const LINK_MAX_AGE_MS = 7 * 24 * 60 * 60_000;

/** What a decision link decides, signed into its token. */
export interface LinkClaims {
  /** The link's id: a link is used once. */
  link_id: string;
  execution_id: string;
  node_id: string;
  /** The node's scope (loop bodies); '' at the top level. */
  scope: string;
  decision: 'approve' | 'reject';
  /** Epoch milliseconds after which the link is expired. */
  expires_at: number;
}

/** The approval a pair of links is made for. */
export interface LinkTarget {
  execution_id: string;
  node_id: string;
  scope: string;
  /** When the node began to wait. */
  requested_at: string;
  /** When the approval times out, if it does. */
  until?: string;
}

/** Signs and checks decision link tokens. */
export interface LinkSigner {
  sign(claims: LinkClaims): string;
  /** The claims of an untampered token; undefined for anything else. Expiry is not checked here. */
  verify(token: string): LinkClaims | undefined;
  /** The approve and reject links of an approval: the same pair every time it is asked for. */
  linksFor(target: LinkTarget, baseUrl: string): { approve_url: string; reject_url: string; expires_at: string };
}

/** A UUID-shaped id derived from `text` (the same text always gives the same id). */
export function derivedId(text: string): string {
  const b = createHash('sha256').update(text).digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Decision links are `<base64url claims>.<base64url HMAC-SHA256>` under a key derived from
 * `secret` (JWT_SECRET), so they need no table to be checked and cannot be forged or altered;
 * the used ones are recorded (`approval_link_uses`) so that each decides once.
 */
export function createLinkSigner(secret: string): LinkSigner {
  const key = createHmac('sha256', secret).update('temporal-flows approval decision links v1').digest();
  const mac = (body: string) => createHmac('sha256', key).update(body).digest();

  const signer: LinkSigner = {
    sign(claims) {
      const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `${body}.${mac(body).toString('base64url')}`;
    },

    verify(token) {
      const [body, sig, extra] = token.split('.');
      if (!body || !sig || extra !== undefined) return undefined;
      const given = Buffer.from(sig, 'base64url');
      const expected = mac(body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      try {
        const c = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as LinkClaims;
        const ok =
          typeof c.link_id === 'string' &&
          typeof c.execution_id === 'string' &&
          typeof c.node_id === 'string' &&
          typeof c.scope === 'string' &&
          (c.decision === 'approve' || c.decision === 'reject') &&
          typeof c.expires_at === 'number';
        return ok ? c : undefined;
      } catch {
        return undefined;
      }
    },

    linksFor(target, baseUrl) {
      const until = target.until ? Date.parse(target.until) : NaN;
      const expires = Number.isFinite(until) ? until : Date.parse(target.requested_at) + LINK_MAX_AGE_MS;
      const url = (decision: LinkClaims['decision']) => {
        const link_id = derivedId(`${target.execution_id}:${target.scope}${target.node_id}:${target.requested_at}:${decision}`);
        const token = signer.sign({ link_id, execution_id: target.execution_id, node_id: target.node_id, scope: target.scope, decision, expires_at: expires });
        return `${baseUrl.replace(/\/+$/, '')}/api/v1/approvals/links/${token}`;
      };
      return { approve_url: url('approve'), reject_url: url('reject'), expires_at: new Date(expires).toISOString() };
    },
  };
  return signer;
}
