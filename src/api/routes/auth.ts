import express, { type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import type { Repos } from '../../storage';
import { createAuthService } from '../auth/auth-service';
import { createLoginThrottle, unknownAccountKey } from '../auth/login-throttle';
import { passwordProblem } from '../auth/password-policy';
import { MAX_PASSWORD_LENGTH, prepareDummyHash } from '../auth/passwords';
import { tagRequirement } from '../auth-requirement';
import { parseBodies } from '../middleware/body';
import { forbidden, notFound, unauthorized } from '../errors';
import { requireScope } from '../middleware/authenticate';
import { clientIp, createRateLimiter, rateLimited } from '../middleware/rate-limit';
import { SCOPES } from '../principal';
import { isUuid, parseBody, parseQuery } from '../validate';

/** Dependencies of {@link createAuthRouter}. */
export interface AuthRouterDeps {
  config: Config;
  repos: Repos;
  logger: Logger;
  /** The middleware from `createAuthenticate`; its `forgetApiKey` (when present) is called on revoke. */
  authenticate: RequestHandler & { forgetApiKey?(id: string): void };
}

const registerSchema = z
  .object({
    username: z
      .string()
      .min(3)
      .max(64)
      .regex(/^[A-Za-z0-9_.-]+$/, 'may contain only letters, digits, _ . and -')
      .toLowerCase(),
    email: z.string().trim().toLowerCase().email().max(255),
    password: z.string().max(MAX_PASSWORD_LENGTH),
  })
  .superRefine((body, ctx) => {
    const problem = passwordProblem(body.password, body);
    if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem });
  });

// OAuth2 password-grant forms also send grant_type, scope, client_id…: extra fields are ignored.
const loginSchema = z
  .object({
    username: z.string().min(1).max(255).optional(),
    email: z.string().min(1).max(255).optional(),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  })
  .refine((b) => b.username !== undefined || b.email !== undefined, {
    message: 'username (or email) is required',
    path: ['username'],
  });

const createKeySchema = z.object({
  name: z.string().trim().min(1).max(255),
  scopes: z.array(z.enum(SCOPES)).min(1),
  expires_in_days: z.number().int().min(1).max(3650).optional(),
});

const listKeysQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  include_revoked: z.enum(['true', 'false']).default('false'),
});

/**
 * `/auth`: register, login, the current user and the caller's own API keys.
 *
 * Key management (create, revoke) needs a login session (JWT) or a key with scope `admin`, so a
 * leaked ordinary key cannot mint or revoke keys; listing and reading keys need scope `read`.
 */
export function createAuthRouter({ config, repos, logger, authenticate }: AuthRouterDeps): Router {
  const auth = createAuthService({ config, repos });
  const throttle = createLoginThrottle();
  const loginLimiter = createRateLimiter({
    limit: config.rateLimit.loginPerMinute,
    windowMs: 60_000,
    key: clientIp,
    message: 'too many login attempts',
  });
  const registerLimiter = createRateLimiter({
    limit: config.rateLimit.loginPerMinute,
    windowMs: 60_000,
    key: clientIp,
    message: 'too many registrations',
  });
  prepareDummyHash().catch((err: unknown) =>
    logger.error({ err }, 'could not prepare the dummy password hash'),
  );

  const canManageKeys = tagRequirement<RequestHandler>(
    (req, _res, next) => {
      const p = req.principal!;
      if (p.via === 'jwt' || p.scopes.includes('admin')) return next();
      next(forbidden('managing API keys needs a login session or a key with scope admin'));
    },
    { scope: 'admin', sessionSuffices: true },
  );
  const noStore: RequestHandler = (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  };

  const router = express.Router();
  // The app parses bodies too; these make the router self-contained (a parsed body is not re-read).
  router.use(parseBodies(config.bodyLimit));

  router.post('/register', registerLimiter, async (req, res) => {
    const body = parseBody(registerSchema, req);
    const user = await auth.register(body);
    logger.info({ user_id: user.id, username: user.username, role: user.role }, 'user registered');
    res.status(201).json(user);
  });

  router.post('/login', loginLimiter, noStore, async (req, res) => {
    const body = parseBody(loginSchema, req);
    const login = (body.username ?? body.email)!;
    const ip = clientIp(req);
    // The address first: a blocked address costs no lookup.
    const addressWait = throttle.addressRetryAfterMs(ip);
    if (addressWait > 0) throw rateLimited(res, addressWait, 'too many failed logins');
    const found = await auth.findLogin(login);
    const account = found ? `user:${found.id}` : unknownAccountKey(login);
    const wait = throttle.retryAfterMs(account, ip);
    if (wait > 0) throw rateLimited(res, wait, 'too many failed logins');
    const user = (await auth.checkPassword(found, body.password)) ? found : undefined;
    if (!user) {
      throttle.recordFailure(account, ip);
      logger.warn({ login, ip }, 'failed login');
      throw unauthorized('invalid username or password');
    }
    throttle.recordSuccess(account);
    const { token, expiresIn } = auth.issueToken(user);
    res.json({ access_token: token, token_type: 'bearer', expires_in: expiresIn });
  });

  router.get('/me', authenticate, async (req, res) => {
    const user = await auth.getUser(req.principal!.user.id);
    if (!user) throw unauthorized('user no longer exists');
    res.json({ ...user, scopes: req.principal!.scopes });
  });

  router.post('/api-keys', authenticate, canManageKeys, noStore, async (req, res) => {
    const body = parseBody(createKeySchema, req);
    const created = await auth.createApiKey(req.principal!, body);
    logger.info(
      { user_id: req.principal!.user.id, api_key_id: created.id, scopes: created.scopes },
      'API key created',
    );
    res.status(201).json(created);
  });

  router.get('/api-keys', authenticate, requireScope('read'), async (req, res) => {
    const q = parseQuery(listKeysQuery, req);
    const all = await auth.listApiKeys(req.principal!.user.id, {
      includeRevoked: q.include_revoked === 'true',
    });
    res.json({ items: all.slice(q.skip, q.skip + q.limit), total: all.length, skip: q.skip, limit: q.limit });
  });

  router.get('/api-keys/:id', authenticate, requireScope('read'), async (req, res) => {
    const id = req.params.id as string;
    const key = isUuid(id) ? await auth.getApiKey(req.principal!.user.id, id) : undefined;
    if (!key) throw notFound('API key');
    res.json(key);
  });

  router.delete('/api-keys/:id', authenticate, canManageKeys, async (req, res) => {
    const id = req.params.id as string;
    if (!isUuid(id) || !(await auth.revokeApiKey(req.principal!.user.id, id))) throw notFound('API key');
    authenticate.forgetApiKey?.(id);
    logger.info({ user_id: req.principal!.user.id, api_key_id: id }, 'API key revoked');
    res.status(204).end();
  });

  return router;
}
