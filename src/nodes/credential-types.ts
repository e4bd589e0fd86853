import { z } from 'zod';
import { CROSS_ORIGIN_HEADERS } from './net/guarded-request';

/** A kind of credential: the shape of its decrypted data and which of its fields are secret. */
export interface CredentialTypeSpec {
  description: string;
  /** Validates the decrypted data before a node gets it. */
  schema: z.ZodTypeAny;
  /** Fields whose values must never reach a node's output, logs or errors (the wrapper scrubs them). */
  secretFields: readonly string[];
  /**
   * Secret fields whose masked preview may show a hint (`sk-…a1b2`): keys and tokens, whose ends
   * tell one from another. Passwords never get one. Every other secret previews as `••••`.
   */
  hintedFields?: readonly string[];
}

const text = z.string().trim().min(1);
// RFC 7230 token: what Node's http module accepts as a header name. Not one that a redirect to
// another origin keeps: a secret in it would follow the redirect.
const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'Must be a valid header name')
  .refine((name) => !CROSS_ORIGIN_HEADERS.has(name.toLowerCase()), 'Must not be a header kept across origins');
const port = z.number().int().min(1).max(65_535);
/** A database server and login: the same fields for every SQL dialect. */
const database = z.object({
  host: text,
  port: port.optional(),
  database: text,
  user: text,
  password: z.string(),
  ssl: z.boolean().optional(),
});

/**
 * Every credential type a node may declare. The credential store (`/api/v1/credentials`,
 * docs/credentials.md) validates what it stores against the same schemas, refusing unknown fields.
 */
export const CREDENTIAL_TYPES = {
  http_header: {
    description: 'One request header, e.g. X-Api-Key: …',
    schema: z.object({ name: headerName, value: text }),
    secretFields: ['value'],
    hintedFields: ['value'],
  },
  http_bearer: {
    description: 'Authorization: Bearer <token>',
    schema: z.object({ token: text }),
    secretFields: ['token'],
    hintedFields: ['token'],
  },
  http_basic: {
    description: 'Authorization: Basic <username:password>',
    schema: z.object({ username: z.string(), password: z.string() }),
    secretFields: ['password'],
  },
  openai: {
    description: 'An OpenAI-compatible chat-completions API (llm nodes)',
    schema: z.object({
      api_key: text,
      base_url: z.string().url().optional(),
      model: text.optional(),
      organization: text.optional(),
    }),
    secretFields: ['api_key'],
    hintedFields: ['api_key'],
  },
  smtp: {
    description: 'An SMTP server (email-send nodes)',
    schema: z.object({
      host: text,
      port: port.optional(),
      secure: z.boolean().optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      from: text.optional(),
    }),
    secretFields: ['password'],
  },
  postgres: {
    description: 'A PostgreSQL database (sql nodes)',
    schema: database,
    secretFields: ['password'],
  },
  mysql: {
    description: 'A MySQL or MariaDB database (sql nodes)',
    schema: database,
    secretFields: ['password'],
  },
} satisfies Record<string, CredentialTypeSpec>;

/** Names of the known credential types. */
export type CredentialType = keyof typeof CREDENTIAL_TYPES;

/** The decrypted data of a credential of type `T`, as a node receives it. */
export type CredentialDataOf<T extends CredentialType> = z.infer<(typeof CREDENTIAL_TYPES)[T]['schema']>;

/** The spec of a credential type; `undefined` for a type this code does not know. */
export function credentialTypeSpec(type: string): CredentialTypeSpec | undefined {
  return Object.hasOwn(CREDENTIAL_TYPES, type) ? CREDENTIAL_TYPES[type as CredentialType] : undefined;
}
