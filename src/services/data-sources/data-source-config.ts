import { z } from 'zod';
import type { DataSourceType } from '../../storage';

/**
 * The `config` of each data source type (docs/data-sources.md), and which of its fields are
 * secret: those are sealed apart from the rest and never shown again.
 */

const text = z.string().trim().min(1).max(255);
const port = z.number().int().min(1).max(65_535);
const credentialRef = z.string().trim().min(1).max(200).describe('id or name of a credential');
// RFC 7230 token, as Node's http module accepts it.
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'Must be a valid header name').max(100);

/** A database server: inline settings, or a credential of the matching type that holds them. */
const sqlServer = z
  .object({
    host: text.optional(),
    port: port.optional(),
    database: text.optional(),
    username: z.string().min(1).max(255).optional(),
    password: z.string().max(1024).nullable().optional().describe('secret; null removes the stored one'),
    ssl: z.boolean().optional().describe('TLS with certificate checks'),
    credential: credentialRef.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.credential) {
      for (const key of ['host', 'port', 'username', 'password', 'ssl'] as const) {
        if (c[key] !== undefined && c[key] !== null)
          ctx.addIssue({ code: 'custom', path: [key], message: 'Set either credential or the connection settings, not both' });
      }
      return;
    }
    if (!c.host) ctx.addIssue({ code: 'custom', path: ['host'], message: 'Required (or name a credential)' });
    if (!c.database) ctx.addIssue({ code: 'custom', path: ['database'], message: 'Required (or name a credential)' });
  });

const sqlite = z
  .object({
    path: z.string().trim().min(1).max(1000).describe('a file inside DATA_DIR/data-sources/ (relative to it, or absolute)'),
  })
  .strict();

const api = z
  .object({
    base_url: z
      .string()
      .url()
      .max(2000)
      .refine((u) => /^https?:\/\//i.test(u), 'Must be an http or https URL')
      .refine((u) => !new URL(u).username && !new URL(u).password, 'Put credentials in headers or a credential, not in the URL'),
    headers: z.record(headerName, z.string().max(8192)).nullable().optional().describe('secret: sent with every request'),
    credential: credentialRef.optional().describe('an http_bearer, http_basic or http_header credential'),
  })
  .strict();

const json = z.object({ data: z.unknown().refine((v) => v !== undefined, 'Required') }).strict();

/** The `config` schema of each type, as the API accepts it. */
export const CONFIG_SCHEMAS: Record<DataSourceType, z.ZodTypeAny> = {
  postgresql: sqlServer,
  mysql: sqlServer,
  sqlite,
  api,
  json,
};

/** Secret fields of each type: sealed by the secret box, left out of every answer. */
export const SECRET_FIELDS: Record<DataSourceType, readonly string[]> = {
  postgresql: ['password'],
  mysql: ['password'],
  sqlite: [],
  api: ['headers'],
  json: [],
};

/** Credential types a data source of each type may name. */
export const CREDENTIAL_TYPES_FOR: Record<DataSourceType, readonly string[]> = {
  postgresql: ['postgres'],
  mysql: ['mysql'],
  sqlite: [],
  api: ['http_bearer', 'http_basic', 'http_header'],
  json: [],
};

/** A config split into what is stored in clear and what is sealed. */
export interface SplitConfig {
  config: Record<string, unknown>;
  secrets: Record<string, unknown>;
}

/** The seed's `user` is accepted for `username`. */
function normalise(type: DataSourceType, raw: Record<string, unknown>): Record<string, unknown> {
  if ((type === 'postgresql' || type === 'mysql') && 'user' in raw && !('username' in raw)) {
    const { user, ...rest } = raw;
    return { ...rest, username: user };
  }
  return raw;
}

/**
 * Validates `raw` as the config of `type` and splits it.
 * @returns the split config, or the problems by path (`config.host`…)
 * Secret fields given as null are left out of both halves (they remove a stored value).
 */
export function parseConfig(
  type: DataSourceType,
  raw: unknown,
): { ok: true; value: SplitConfig; nulls: string[] } | { ok: false; issues: Record<string, string> } {
  const input = raw && typeof raw === 'object' && !Array.isArray(raw) ? normalise(type, raw as Record<string, unknown>) : raw;
  const parsed = CONFIG_SCHEMAS[type].safeParse(input);
  if (!parsed.success) {
    const issues: Record<string, string> = {};
    for (const i of parsed.error.issues) issues[['config', ...i.path].join('.')] ??= i.message;
    return { ok: false, issues };
  }
  const value = parsed.data as Record<string, unknown>;
  const split: SplitConfig = { config: {}, secrets: {} };
  const nulls: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (!SECRET_FIELDS[type].includes(key)) split.config[key] = v;
    else if (v === null) nulls.push(key);
    else if (v !== undefined) split.secrets[key] = v;
  }
  return { ok: true, value: split, nulls };
}

/** Names of the stored secrets as answers list them (`password`, `headers.X-Api-Key`), never their values. */
export function secretFieldNames(secrets: Record<string, unknown>): string[] {
  const names: string[] = [];
  for (const [key, v] of Object.entries(secrets)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const sub of Object.keys(v)) names.push(`${key}.${sub}`);
    else names.push(key);
  }
  return names;
}
