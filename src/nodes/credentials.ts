import { z } from 'zod';
import { credentialTypeSpec, type CredentialDataOf, type CredentialType } from './credential-types';
import { NodeError } from './node-error';
import { MIN_SECRET_LENGTH } from './secret-redactor';

/** How a node type takes a credential: its data names one by id or name. */
export interface NodeCredentialSpec {
  /** The `data` field that names the credential; default `credential`. Must be in `dataSchema`. */
  field?: string;
  /** Credential types the node accepts (`credential-types.ts`). */
  types: string[];
  /** Fail before `execute` when the node names none. */
  required?: boolean;
}

/** A credential as its store returns it: `data` is decrypted. */
export interface StoredCredential {
  id: string;
  name: string;
  type: string;
  data: Record<string, unknown>;
}

/** A credential a node resolved, as `ctx.credential()` returns it (`data` validated against its type). */
export type NodeCredential = StoredCredential;

/**
 * Where the worker looks credentials up. Implementations decrypt and must only return the owner's
 * own credentials.
 */
export interface CredentialProvider {
  /** The owner's credential with this id or, failing that, this name; `undefined` when there is none. */
  resolve(ownerId: string, idOrName: string): Promise<StoredCredential | undefined>;
}

/** A provider that knows no credential: every lookup finds nothing. */
export const noCredentialProvider: CredentialProvider = {
  async resolve() {
    return undefined;
  },
};

/** A credential held by {@link memoryCredentialProvider}; without `owner_id` every owner sees it. */
export type MemoryCredential = StoredCredential & { owner_id?: string };

/** A provider over a fixed list (tests, benchmarks): matches by id first, then by name. */
export function memoryCredentialProvider(list: readonly MemoryCredential[]): CredentialProvider {
  return {
    async resolve(ownerId, idOrName) {
      const own = list.filter((c) => c.owner_id === undefined || c.owner_id === ownerId);
      const found = own.find((c) => c.id === idOrName) ?? own.find((c) => c.name === idOrName);
      return found && { id: found.id, name: found.name, type: found.type, data: structuredClone(found.data) };
    },
  };
}

/** The `data` field that names a credential, for a node type's data schema. */
export function credentialField(types: readonly string[]) {
  return z
    .string()
    .trim()
    .min(1, 'Name a credential by id or name')
    .max(200)
    .describe(`Id or name of a credential of type ${types.join(' or ')}`);
}

/** The credential's data typed as `type`; `undefined` when it is of another type (or there is none). */
export function credentialData<T extends CredentialType>(
  credential: NodeCredential | undefined,
  type: T,
): CredentialDataOf<T> | undefined {
  return credential?.type === type ? (credential.data as CredentialDataOf<T>) : undefined;
}

/** A resolved credential and the values the wrapper must keep out of output, logs and errors. */
export interface ResolvedNodeCredential {
  credential: NodeCredential;
  secrets: string[];
}

function fail(message: string, type: string): NodeError {
  return new NodeError(message, { retryable: false, type });
}

/** The secret values of a credential: its type's secret fields, or every string of an unknown type. */
function secretsOf(type: string, data: Record<string, unknown>): string[] {
  const spec = credentialTypeSpec(type);
  const values = spec ? spec.secretFields.map((f) => data[f]) : Object.values(data);
  return values.filter((v): v is string => typeof v === 'string' && v.length >= MIN_SECRET_LENGTH);
}

/**
 * Resolves the credential a node names in its (rendered, parsed) data, as its definition declares.
 * @returns `undefined` when the type declares no credential or the node names none (and none is required)
 * @throws NodeError — non-retryable when the name is unknown, of another type or its data is invalid;
 * retryable when the provider itself fails. Messages name the credential, never its data.
 */
export async function resolveNodeCredential(
  def: { type: string; credentials?: NodeCredentialSpec },
  data: unknown,
  ownerId: string,
  provider: CredentialProvider,
): Promise<ResolvedNodeCredential | undefined> {
  const spec = def.credentials;
  if (!spec) return undefined;
  const field = spec.field ?? 'credential';
  const ref = data && typeof data === 'object' ? (data as Record<string, unknown>)[field] : undefined;
  const expected = spec.types.join(', ');
  if (ref === undefined || ref === null || ref === '') {
    if (spec.required) throw fail(`${def.type} needs a credential in "${field}" (type ${expected})`, 'CredentialRequired');
    return undefined;
  }
  if (typeof ref !== 'string') throw fail(`"${field}" must name a credential by id or name`, 'InvalidNodeData');
  const label = ref.slice(0, 200);

  let found: StoredCredential | undefined;
  try {
    found = await provider.resolve(ownerId, ref);
  } catch (err) {
    if (err instanceof NodeError) throw err;
    throw new NodeError(`could not look up credential "${label}": ${(err as Error).message}`, {
      retryable: true,
      type: 'CredentialLookupFailed',
    });
  }
  if (!found) throw fail(`credential "${label}" not found`, 'CredentialNotFound');
  if (!spec.types.includes(found.type)) {
    throw fail(`credential "${label}" is of type ${found.type}, expected one of ${expected}`, 'CredentialTypeMismatch');
  }
  const typeSpec = credentialTypeSpec(found.type);
  const raw = found.data ?? {};
  let checked = raw;
  if (typeSpec) {
    const parsed = typeSpec.schema.safeParse(raw);
    if (!parsed.success) {
      // Field names only: a zod message may quote the value it rejected.
      const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || 'data'))];
      throw fail(`credential "${label}" (${found.type}) has missing or invalid fields: ${fields.join(', ')}`, 'InvalidCredential');
    }
    checked = parsed.data as Record<string, unknown>;
  }
  return {
    credential: { id: found.id, name: found.name, type: found.type, data: checked },
    // Both forms: the schema may have trimmed a value that still appears untrimmed elsewhere.
    secrets: [...new Set([...secretsOf(found.type, raw), ...secretsOf(found.type, checked)])],
  };
}
