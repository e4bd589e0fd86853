import { MIN_PASSWORD_LENGTH } from '../auth/password-policy';
import { MAX_PASSWORD_LENGTH } from '../auth/passwords';
import { SCOPES } from '../principal';
import type { OperationDoc } from './operation-doc';
import { apiKey, page, pageQuery, user } from './schemas';
import { z } from './zod';

const register = z.object({
  username: z
    .string()
    .min(3)
    .max(64)
    .regex(/^[A-Za-z0-9_.-]+$/)
    .openapi({ description: 'case-insensitive; stored lower-cased' }),
  email: z.string().email().max(255).openapi({ description: 'case-insensitive; stored lower-cased' }),
  password: z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH).openapi({
    description: 'not only whitespace, not the username or email, not a commonly breached password (docs/auth.md)',
  }),
});

const login = z
  .object({
    username: z.string().max(255).optional().openapi({ description: 'username or email' }),
    email: z.string().max(255).optional(),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  })
  .openapi({ description: 'username (or email) and password; OAuth2 password-grant form fields are accepted and ignored' });

const token = z
  .object({ access_token: z.string(), token_type: z.literal('bearer'), expires_in: z.number().int() })
  .openapi('AccessToken');

const createKey = z.object({
  name: z.string().min(1).max(255),
  scopes: z.array(z.enum(SCOPES)).min(1),
  expires_in_days: z.number().int().min(1).max(3650).optional(),
});

const createdKey = apiKey
  .omit({ last_used_at: true, revoked_at: true })
  .extend({ key: z.string().openapi({ description: 'the secret, shown only in this answer' }) })
  .openapi('ApiKeyCreated');

const keyId = z.object({ id: z.string().uuid() });

/** `/api/v1/auth`. */
export const authOperations: OperationDoc[] = [
  {
    method: 'post',
    path: '/api/v1/auth/register',
    tag: 'auth',
    summary: 'Register a user',
    description: 'The first user ever registered becomes `admin`. Rate-limited per client address (`LOGIN_RATE_LIMIT_PER_MINUTE`).',
    body: { schema: register, example: { username: 'ada', email: 'ada@example.test', password: 'correct horse battery staple' } },
    responses: { 201: { description: 'the new user', schema: user } },
    errors: [409],
  },
  {
    method: 'post',
    path: '/api/v1/auth/login',
    tag: 'auth',
    summary: 'Log in (JSON or form-urlencoded)',
    description:
      'Rate-limited per client address. Failed logins are counted per account (5 within 15 minutes block it) and per client address (20 within 15 minutes block it).',
    body: {
      schema: login,
      example: { username: 'ada', password: 'correct horse battery staple' },
      contentTypes: ['application/json', 'application/x-www-form-urlencoded'],
    },
    responses: { 200: { description: 'a bearer token', schema: token } },
  },
  {
    method: 'get',
    path: '/api/v1/auth/me',
    tag: 'auth',
    summary: 'The current user and the scopes of the credentials used',
    responses: { 200: { description: 'the user', schema: user.extend({ scopes: z.array(z.enum(SCOPES)) }) } },
  },
  {
    method: 'post',
    path: '/api/v1/auth/api-keys',
    tag: 'auth',
    summary: 'Create an API key (the secret is shown once)',
    description: 'Needs a login session (JWT) or a key with scope `admin`; only admins may create `admin` keys.',
    body: { schema: createKey, example: { name: 'ci', scopes: ['read', 'execute'], expires_in_days: 90 } },
    responses: { 201: { description: 'the key, with its secret `key`', schema: createdKey } },
  },
  {
    method: 'get',
    path: '/api/v1/auth/api-keys',
    tag: 'auth',
    summary: "The caller's API keys",
    query: pageQuery.extend({ include_revoked: z.enum(['true', 'false']).default('false') }),
    responses: { 200: { description: 'a page of keys (no secrets)', schema: page(apiKey, 'ApiKeyPage') } },
  },
  {
    method: 'get',
    path: '/api/v1/auth/api-keys/{id}',
    tag: 'auth',
    summary: 'One of the caller’s API keys',
    params: keyId,
    responses: { 200: { description: 'the key (no secret)', schema: apiKey } },
  },
  {
    method: 'delete',
    path: '/api/v1/auth/api-keys/{id}',
    tag: 'auth',
    summary: 'Revoke an API key',
    description: 'Needs a login session (JWT) or a key with scope `admin`. Revoking twice is fine.',
    params: keyId,
    responses: { 204: { description: 'revoked' } },
  },
];
