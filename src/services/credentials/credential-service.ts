import { conflict, notFound, unprocessable } from '../../shared/errors';
import { UniqueViolationError, type CredentialRow, type Repos } from '../../storage';
import type { Actor } from '../actor';
import { SecretBoxError, type SecretBox } from '../secret-box';
import { credentialPreview, mergeCredentialData, parseCredentialData, type CredentialData } from './credential-data';
import { flowsUsing, looksLikeId } from './credential-references';

/** A credential as the API returns it: never its data, only a masked preview. */
export interface CredentialView {
  id: string;
  name: string;
  type: string;
  created_at: string;
  updated_at: string;
  /** Non-secret fields as they are, secret ones masked; null when the data cannot be decrypted with the configured keys. */
  preview: CredentialData | null;
}

/** What creating a credential takes (the API has checked the shapes). */
export interface CredentialInput {
  name: string;
  type: string;
  data: Record<string, unknown>;
}

/** A change: a new name, and/or data fields merged into the current ones (`null` removes a field). */
export interface CredentialPatch {
  name?: string;
  data?: Record<string, unknown>;
}

/** What the credential service needs. */
export interface CredentialServiceDeps {
  repos: Repos;
  /** Seals credential data at rest. */
  box: SecretBox;
}

/** 422 for a name that could not be referenced unambiguously from a node. */
function checkName(name: string): void {
  if (looksLikeId(name)) throw unprocessable('invalid credential name', { name: 'must not look like an id (a UUID): nodes name credentials by id or name' });
  if (name.includes('{{') || name.includes('}}')) throw unprocessable('invalid credential name', { name: 'must not contain {{ or }}: a node would read it as a template' });
}

/**
 * The credential store (docs/credentials.md): per-owner secrets that nodes name by id or name,
 * sealed by the secret box, validated against their type, shown only as masked previews, and not
 * deletable (nor renamable) while a flow of the owner names them. Admins see every owner's.
 */
export function createCredentialService({ repos, box }: CredentialServiceDeps) {
  const scope = (actor: Actor) => ({ ownerId: actor.ownerId });

  const open = (row: CredentialRow): CredentialData | undefined => {
    try {
      return box.open<CredentialData>(row.encrypted_data);
    } catch (err) {
      if (err instanceof SecretBoxError) return undefined;
      throw err;
    }
  };

  const view = (row: CredentialRow): CredentialView => {
    const data = open(row);
    return {
      id: row.id,
      name: row.name,
      type: row.type,
      created_at: row.created_at,
      updated_at: row.updated_at,
      preview: data ? credentialPreview(row.type, data) : null,
    };
  };

  async function own(actor: Actor, id: string): Promise<CredentialRow> {
    const row = await repos.credentials.get(id, scope(actor));
    if (!row) throw notFound('credential');
    return row;
  }

  /** 409 naming the flows that still name the credential as `names`. */
  async function refuseWhileUsed(row: CredentialRow, names: string[], what: string): Promise<void> {
    const flows = await flowsUsing(repos, row, names);
    if (flows.length === 0) return;
    const list = flows.map((f) => `"${f.name}"`).join(', ');
    throw conflict(`credential "${row.name}" is used by ${flows.length === 1 ? 'flow' : 'flows'} ${list}: ${what}`, { flows });
  }

  async function unique<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof UniqueViolationError) throw conflict(`a credential named "${name}" already exists`, { name: 'already used by another credential of yours' });
      throw err;
    }
  }

  return {
    /** Stores a new credential of the actor; 422 for data its type refuses, 409 for a taken name. */
    async create(actor: Actor, input: CredentialInput): Promise<CredentialView> {
      checkName(input.name);
      const data = parseCredentialData(input.type, input.data);
      const row = await unique(input.name, () =>
        repos.credentials.create({ owner_id: actor.userId, name: input.name, type: input.type, encrypted_data: box.seal(data) }),
      );
      return view(row);
    },

    async list(actor: Actor, options: { skip: number; limit: number; type?: string }) {
      const page = await repos.credentials.listSealed({ ...scope(actor), ...options });
      return { items: page.items.map(view), total: page.total };
    },

    async get(actor: Actor, id: string): Promise<CredentialView> {
      return view(await own(actor, id));
    },

    /**
     * Renames and/or changes data. Data fields are merged into the current ones (a value replaces,
     * `null` removes an optional field) and the result is checked against the type; when the
     * current data cannot be decrypted (a lost key), the patch must hold the whole data. A rename
     * is refused (409) while flows name the credential by its current name.
     */
    async update(actor: Actor, id: string, patch: CredentialPatch): Promise<CredentialView> {
      const row = await own(actor, id);
      const rename = patch.name !== undefined && patch.name !== row.name;
      if (rename) {
        checkName(patch.name!);
        await refuseWhileUsed(row, [row.name], 'change them to the new name or to the id first');
      }
      let sealed: string | undefined;
      if (patch.data !== undefined) {
        const current = open(row) ?? {};
        sealed = box.seal(parseCredentialData(row.type, mergeCredentialData(current, patch.data)));
      }
      const updated = await unique(patch.name ?? row.name, () =>
        repos.credentials.update(id, { ...(rename ? { name: patch.name } : {}), encrypted_data: sealed }, scope(actor)),
      );
      if (!updated) throw notFound('credential');
      return view(updated);
    },

    /** Deletes the credential; 409 naming the flows (`details.flows`) while any names it by id or name. */
    async remove(actor: Actor, id: string): Promise<void> {
      const row = await own(actor, id);
      await refuseWhileUsed(row, [row.id, row.name], 'remove it from them first');
      if (!(await repos.credentials.delete(id, scope(actor)))) throw notFound('credential');
    },
  };
}

/** The credential store. */
export type CredentialService = ReturnType<typeof createCredentialService>;
