import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The credentials of inbound webhooks (docs/api-triggers.md): bearer tokens, kept only as their
 * SHA-256, and HMAC-SHA256 signatures over `"<X-Timestamp>.<raw body>"` under a signing secret.
 * Every comparison takes constant time.
 */

/** How far `X-Timestamp` may be from the server's clock, in seconds (either way). */
export const SIGNATURE_TOLERANCE_S = 300;

/** A new bearer token for a hook (`fht_` + 32 random bytes). */
export function newHookToken(): string {
  return `fht_${randomBytes(32).toString('base64url')}`;
}

/** A new signing secret for a hook (`fhs_` + 32 random bytes); the HMAC key is this whole string. */
export function newSigningSecret(): string {
  return `fhs_${randomBytes(32).toString('base64url')}`;
}

/** The stored form of a token: hex SHA-256. */
export function hashHookToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether `token` is the one whose hash is `hash`. */
export function tokenMatches(token: string, hash: string): boolean {
  const presented = Buffer.from(hashHookToken(token), 'hex');
  const stored = Buffer.from(hash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** Hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`: what a sender puts after `sha256=`. */
export function signHookBody(secret: string, timestamp: string, body: Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body).digest('hex');
}

/** What a signed request carries. */
export interface SignedRequest {
  /** `X-Signature`: `sha256=<hex>`. */
  signature?: string;
  /** `X-Timestamp`: unix seconds. */
  timestamp?: string;
  /** The body bytes as received. */
  body: Buffer;
}

/**
 * Why a signed request is refused (`undefined`: it is genuine): a missing, malformed or stale
 * timestamp, a missing or malformed signature, or one that does not match.
 */
export function signatureProblem(secret: string, req: SignedRequest, nowMs = Date.now()): string | undefined {
  if (!req.timestamp) return 'X-Timestamp is missing';
  if (!/^\d{1,12}$/.test(req.timestamp)) return 'X-Timestamp must be unix seconds';
  if (Math.abs(nowMs / 1000 - Number(req.timestamp)) > SIGNATURE_TOLERANCE_S) {
    return `X-Timestamp is more than ${SIGNATURE_TOLERANCE_S} s from the server's time`;
  }
  if (!req.signature) return 'X-Signature is missing';
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(req.signature.trim());
  if (!m) return 'X-Signature must be sha256=<64 hex characters>';
  const presented = Buffer.from(m[1], 'hex');
  const expected = Buffer.from(signHookBody(secret, req.timestamp, req.body), 'hex');
  return timingSafeEqual(presented, expected) ? undefined : 'X-Signature does not match';
}
