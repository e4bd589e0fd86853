import { z } from 'zod';
import { CREDENTIAL_TYPES, credentialTypeSpec, type CredentialTypeSpec } from '../../nodes/credential-types';
import { unprocessable } from '../../shared/errors';

/** The credential types the store accepts (`src/nodes/credential-types.ts`). */
export const CREDENTIAL_TYPE_NAMES = Object.keys(CREDENTIAL_TYPES) as [string, ...string[]];

/** What a masked secret shows: nothing of it. */
export const MASK = '••••';

/** Secrets at least this long may show a hint (their first 3 and last 4 characters) when their field allows. */
export const HINT_MIN_LENGTH = 16;

/** A credential's data as stored (decrypted): field → value. */
export type CredentialData = Record<string, unknown>;

// zod codes whose messages never quote the rejected value; any other code gets a generic message,
// since a value given in the wrong field may be a secret.
const VALUE_FREE_CODES = new Set(['invalid_type', 'too_small', 'too_big', 'invalid_string', 'custom', 'unrecognized_keys']);

function specOf(type: string): CredentialTypeSpec {
  const spec = credentialTypeSpec(type);
  if (!spec) throw unprocessable('unknown credential type', { type: `must be one of ${CREDENTIAL_TYPE_NAMES.join(', ')}` });
  return spec;
}

/**
 * `data` checked against its type's schema, unknown fields refused (a misspelt field would
 * otherwise be dropped silently): the parsed value, or a 422 whose details name each field under
 * `data.` with a message that never repeats a value.
 */
export function parseCredentialData(type: string, data: unknown): CredentialData {
  const spec = specOf(type);
  const schema = spec.schema instanceof z.ZodObject ? spec.schema.strict() : spec.schema;
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data as CredentialData;
  const details: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) details[`data.${key}`] ??= `unknown field for a ${type} credential`;
      continue;
    }
    const path = ['data', ...issue.path].join('.');
    details[path] ??= VALUE_FREE_CODES.has(issue.code) ? issue.message : 'Invalid value';
  }
  throw unprocessable(`invalid ${type} credential data`, details);
}

/** `current` with `patch` applied field by field: a value replaces, `null` removes the field. */
export function mergeCredentialData(current: CredentialData, patch: Record<string, unknown>): CredentialData {
  const merged: CredentialData = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

function mask(value: unknown, hinted: boolean): string {
  if (hinted && typeof value === 'string' && value.length >= HINT_MIN_LENGTH) return `${value.slice(0, 3)}…${value.slice(-4)}`;
  return MASK;
}

/**
 * What the API shows of a credential's data: non-secret fields as they are, secret ones masked —
 * `••••`, or for keys and tokens of {@link HINT_MIN_LENGTH}+ characters `sk-…a1b2`.
 */
export function credentialPreview(type: string, data: CredentialData): CredentialData {
  const spec = credentialTypeSpec(type);
  const secret = new Set(spec?.secretFields ?? Object.keys(data));
  const hinted = new Set(spec?.hintedFields ?? []);
  const preview: CredentialData = {};
  for (const [key, value] of Object.entries(data)) {
    preview[key] = secret.has(key) ? mask(value, hinted.has(key)) : value;
  }
  return preview;
}
