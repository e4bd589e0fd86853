import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt, { type VerifyOptions } from 'jsonwebtoken';
import type { Config } from '../../config';

/** The only algorithm tokens are signed with and the only one accepted when verifying. */
export const JWT_ALGORITHM = 'HS256' as const;
/** `iss` of every access token. */
export const JWT_ISSUER = 'temporal-flows';
/** `aud` of every access token. */
export const JWT_AUDIENCE = 'temporal-flows-api';

/** The claims of a verified access token. */
export interface AccessTokenClaims {
  /** The user's id. */
  sub: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

/** A freshly signed access token and its lifetime in seconds. */
export interface SignedToken {
  token: string;
  expiresIn: number;
}

/**
 * Options for `jsonwebtoken.verify` (and passport-jwt): an explicit algorithm allow-list, so
 * `alg: none`, other HMAC sizes and RS/ES tokens made with the secret as a "public key" all fail,
 * plus the issuer and audience this API signs with.
 */
export const JWT_VERIFY_OPTIONS: Readonly<VerifyOptions> = Object.freeze({
  algorithms: [JWT_ALGORITHM],
  issuer: JWT_ISSUER,
  audience: JWT_AUDIENCE,
});

const keys = new Map<string, KeyObject>();

/**
 * The secret as a `KeyObject` (one per secret, reused). Given a string, `jsonwebtoken` first tries
 * to parse it as a PEM public key and catches the failure on every call, which caps verification
 * at a few hundred tokens per second; a secret `KeyObject` is also refused for any non-HMAC algorithm.
 */
export function jwtSecretKey(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

/** Signs an access token for `userId` that expires after `jwtConfig.expiresInS` seconds. */
export function signAccessToken(userId: string, jwtConfig: Config['jwt']): SignedToken {
  const token = jwt.sign({}, jwtSecretKey(jwtConfig.secret), {
    algorithm: JWT_ALGORITHM,
    subject: userId,
    issuer: JWT_ISSUER,
    audience: JWT_AUDIENCE,
    expiresIn: jwtConfig.expiresInS,
  });
  return { token, expiresIn: jwtConfig.expiresInS };
}

/** Whether a decoded payload has the claims every access token of this API carries. */
export function isAccessTokenClaims(payload: unknown): payload is AccessTokenClaims {
  const p = payload as Partial<AccessTokenClaims> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.sub === 'string' &&
    p.sub.length > 0 &&
    typeof p.exp === 'number' &&
    typeof p.iat === 'number'
  );
}

/**
 * Verifies `token` (signature, algorithm, expiry, issuer, audience, required claims) and returns
 * its claims; throws a `jsonwebtoken` error when any check fails.
 */
export function verifyAccessToken(token: string, jwtConfig: Config['jwt']): AccessTokenClaims {
  const payload = jwt.verify(token, jwtSecretKey(jwtConfig.secret), {
    ...JWT_VERIFY_OPTIONS,
    complete: false,
  });
  if (!isAccessTokenClaims(payload)) throw new jwt.JsonWebTokenError('token lacks required claims');
  return payload;
}
