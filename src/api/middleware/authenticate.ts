import type { NextFunction, Request, RequestHandler, Response } from 'express';
import passport from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import type { Config } from '../../config';
import type { ApiKeyWithOwner, Repos, UserRow } from '../../storage';
import { hashApiKey, looksLikeApiKey } from '../auth/api-keys';
import { isAccessTokenClaims, JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER, jwtSecretKey } from '../auth/tokens';
import { TtlCache } from '../auth/ttl-cache';
import { tagRequirement } from '../auth-requirement';
import { forbidden, unauthorized } from '../errors';
import { SCOPES, type Principal, type Scope } from '../principal';

/** Scopes of a JWT login; admins also get `admin`. */
export const SESSION_SCOPES: readonly Scope[] = Object.freeze([
  'read',
  'write',
  'execute',
  'approve',
] as Scope[]);
const ADMIN_SESSION_SCOPES: readonly Scope[] = Object.freeze([...SESSION_SCOPES, 'admin'] as Scope[]);

/** How long a user (JWT) or key (API key) lookup is reused before the database is asked again. */
export const AUTH_CACHE_TTL_MS = 5_000;
const AUTH_CACHE_MAX_ENTRIES = 10_000;
/** Verified access tokens remembered (their subject and expiry), so a repeat skips the HMAC check. */
const VERIFIED_TOKENS_MAX_ENTRIES = 10_000;
const VERIFIED_TOKEN_TTL_MS = 10 * 60_000;
/** `api_keys.last_used_at` is written at most this often per key. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** Dependencies of {@link createAuthenticate}. */
export interface AuthenticateDeps {
  config: Config;
  repos: Repos;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * The authentication middleware, plus hooks that drop cached lookups when this process changes
 * what they reflect (e.g. a key revoked through `/auth/api-keys`).
 */
export type Authenticate = RequestHandler & {
  forgetApiKey(id: string): void;
  forgetUser(id: string): void;
};

interface KeyEntry {
  principal: Principal;
  keyId: string;
  expiresAtMs: number | null;
  lastUsedMs: number;
}

/** Whether `principal` holds `scope`; `admin` implies every scope. */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes(scope) || principal.scopes.includes('admin');
}

function principalUser(user: UserRow, role: Principal['user']['role']): Principal['user'] {
  return Object.freeze({ id: user.id, username: user.username, email: user.email, role });
}

/** The principal of a JWT login: every non-admin scope, plus `admin` for admins. */
export function sessionPrincipal(user: UserRow): Principal {
  const admin = user.role === 'admin';
  return Object.freeze({
    user: principalUser(user, admin ? 'admin' : 'user'),
    scopes: (admin ? ADMIN_SESSION_SCOPES : SESSION_SCOPES) as Scope[],
    via: 'jwt' as const,
  });
}

/**
 * The principal of an API key: exactly the key's scopes. `admin` counts only while the owner is
 * still an admin, and the principal's role is `admin` only when the key carries that scope — an
 * admin's key without it acts as a regular user (sees only the owner's resources).
 */
export function apiKeyPrincipal(key: ApiKeyWithOwner): Principal {
  const ownerIsAdmin = key.owner.role === 'admin';
  const scopes = SCOPES.filter((s) => key.scopes.includes(s) && (s !== 'admin' || ownerIsAdmin));
  return Object.freeze({
    user: principalUser(key.owner, scopes.includes('admin') ? 'admin' : 'user'),
    scopes: Object.freeze(scopes) as Scope[],
    via: 'api_key' as const,
    api_key_id: key.id,
  });
}

function fail(res: Response, next: NextFunction, message: string): void {
  res.setHeader('WWW-Authenticate', 'Bearer');
  next(unauthorized(message));
}

/**
 * Authenticates `Authorization: Bearer <jwt>` (passport-jwt, HS256 only) or `X-API-Key: <key>`
 * (a `Bearer flk_…` token is treated as an API key too) and sets `req.principal`. Missing or
 * invalid credentials → 401 with `WWW-Authenticate: Bearer`. Users and keys are cached for
 * {@link AUTH_CACHE_TTL_MS}, so a role change, deleted user or key revoked by another process
 * takes effect within that time; revocations through this process take effect at once.
 */
export function createAuthenticate({ config, repos, now = Date.now }: AuthenticateDeps): Authenticate {
  const users = new TtlCache<Promise<Principal | null>>(AUTH_CACHE_MAX_ENTRIES, AUTH_CACHE_TTL_MS, now);
  const keys = new TtlCache<{ ready: Promise<KeyEntry | null>; entry?: KeyEntry | null }>(
    AUTH_CACHE_MAX_ENTRIES,
    AUTH_CACHE_TTL_MS,
    now,
  );

  // The promise is cached, not its result, so a burst of requests on a cold entry makes one query.
  function userPrincipal(id: string): Promise<Principal | null> {
    let p = users.get(id);
    if (!p) {
      p = repos.users.findById(id).then((u) => (u ? sessionPrincipal(u) : null));
      p.catch(() => users.delete(id));
      users.set(id, p);
    }
    return p;
  }

  function keyEntry(hash: string): Promise<KeyEntry | null> {
    const cached = keys.get(hash);
    if (cached) return cached.ready;
    const slot: { ready: Promise<KeyEntry | null>; entry?: KeyEntry | null } = {
      ready: repos.apiKeys.findByHash(hash, new Date(now())).then((k) => {
        slot.entry = k
          ? {
              principal: apiKeyPrincipal(k),
              keyId: k.id,
              expiresAtMs: k.expires_at ? Date.parse(k.expires_at) : null,
              lastUsedMs: k.last_used_at ? Date.parse(k.last_used_at) : 0,
            }
          : null;
        return slot.entry;
      }),
    };
    slot.ready.catch(() => keys.delete(hash));
    keys.set(hash, slot);
    return slot.ready;
  }

  // A token string that passport-jwt verified once stays valid until its `exp` (this API issues
  // no `nbf`), so repeats are answered from here: same subject lookup, no parsing or HMAC.
  const verified = new TtlCache<{ sub: string; expMs: number }>(VERIFIED_TOKENS_MAX_ENTRIES, VERIFIED_TOKEN_TTL_MS, now);

  // passport-jwt's types predate KeyObject, but it hands the key straight to jsonwebtoken.
  const secretKey = jwtSecretKey(config.jwt.secret) as unknown as Buffer;
  const instance = new passport.Passport();
  instance.use(
    'jwt',
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKeyProvider: (_req, _token, done) => done(null, secretKey),
        algorithms: [JWT_ALGORITHM],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        passReqToCallback: true,
      },
      // Reached only for a token whose algorithm, signature, expiry, issuer and audience passed.
      (req: Request, payload: unknown, done: (err: unknown, user?: Principal | false) => void) => {
        if (!isAccessTokenClaims(payload)) return done(null, false);
        const header = req.headers.authorization;
        if (header) verified.set(header, { sub: payload.sub, expMs: payload.exp * 1000 });
        userPrincipal(payload.sub).then((p) => done(null, p ?? false), done);
      },
    ),
  );

  function viaKnownToken(sub: string, req: Request, res: Response, next: NextFunction): void {
    userPrincipal(sub).then((principal) => {
      if (!principal) return fail(res, next, 'invalid or expired token');
      req.principal = principal;
      next();
    }, next);
  }

  async function viaApiKey(key: string, req: Request, res: Response, next: NextFunction): Promise<void> {
    if (!looksLikeApiKey(key)) return fail(res, next, 'invalid API key');
    let entry: KeyEntry | null;
    try {
      entry = await keyEntry(hashApiKey(key));
    } catch (err) {
      return next(err);
    }
    const t = now();
    if (!entry || (entry.expiresAtMs !== null && entry.expiresAtMs <= t)) {
      return fail(res, next, 'invalid, revoked or expired API key');
    }
    if (t - entry.lastUsedMs >= LAST_USED_RESOLUTION_MS) {
      entry.lastUsedMs = t;
      // Bookkeeping only: never delay or fail the request because of it.
      repos.apiKeys.touchLastUsed(entry.keyId, new Date(t)).catch(() => undefined);
    }
    req.principal = entry.principal;
    next();
  }

  const middleware: RequestHandler = (req, res, next) => {
    // Already authenticated earlier in this request (the API-wide rate limiter keys on the principal).
    if (req.principal) return next();
    const apiKey = req.headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey !== '') return void viaApiKey(apiKey.trim(), req, res, next);
    const authorization = req.headers.authorization;
    if (!authorization) return fail(res, next, 'authentication required');
    const bearerKey = /^Bearer\s+(flk_\S+)\s*$/i.exec(authorization);
    if (bearerKey) return void viaApiKey(bearerKey[1], req, res, next);
    const known = verified.get(authorization);
    if (known && known.expMs > now()) return void viaKnownToken(known.sub, req, res, next);
    instance.authenticate('jwt', { session: false }, (err: unknown, principal: Principal | false) => {
      if (err) return next(err);
      if (!principal) return fail(res, next, 'invalid or expired token');
      req.principal = principal;
      next();
    })(req, res, next);
  };

  return Object.assign(tagRequirement(middleware, { authenticates: true }), {
    forgetApiKey: (id: string) =>
      keys.deleteWhere((slot) => slot.entry === undefined || slot.entry?.keyId === id),
    forgetUser: (id: string) => users.delete(id),
  });
}

/**
 * 403 `FORBIDDEN` "missing scope X" unless the principal holds `scope` (`admin` implies all); 401
 * when unauthenticated. The middleware is tagged with its scope for the route table.
 */
export function requireScope(scope: Scope): RequestHandler {
  return tagRequirement<RequestHandler>(
    (req, res, next) => {
      if (!req.principal) return fail(res, next, 'authentication required');
      if (!hasScope(req.principal, scope)) return next(forbidden(`missing scope ${scope}`));
      next();
    },
    { scope },
  );
}
