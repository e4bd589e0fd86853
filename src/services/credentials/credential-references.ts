import { getNodeDefinition } from '../../nodes/registry';
import type { ValidationIssue } from '../../nodes/validation-issue';
import { hasTemplate } from '../../shared/template-syntax';
import type { CredentialRow, Repos } from '../../storage';

/** One place a flow names a credential. */
export interface CredentialRef {
  /** Where, as validation paths go: `nodes[2].data.credential`, `nodes[0].data.body.nodes[1].data.credential`. */
  path: string;
  /** The id or name as written. */
  ref: string;
  /** The credential types the node accepts (empty for a type this code does not know). */
  types: readonly string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `text` has the shape of a credential id (names never do: the store refuses them). */
export const looksLikeId = (text: string) => UUID.test(text);

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every literal credential reference of `nodes`, loop bodies included: the field a node type
 * declares for its credential (`credential` for a type this code does not know). A templated one
 * (`{{ input.account }}`) is left out: what it names is known only when the run renders it.
 */
export function credentialRefs(nodes: unknown, base = ''): CredentialRef[] {
  if (!Array.isArray(nodes)) return [];
  const refs: CredentialRef[] = [];
  nodes.forEach((node, i) => {
    if (!isObject(node) || !isObject(node.data)) return;
    const path = `${base ? `${base}.` : ''}nodes[${i}]`;
    const def = typeof node.type === 'string' ? getNodeDefinition(node.type) : undefined;
    const field = def ? def.credentials && (def.credentials.field ?? 'credential') : 'credential';
    const ref = field ? node.data[field] : undefined;
    if (typeof ref === 'string' && ref.trim() !== '' && !hasTemplate(ref)) {
      refs.push({ path: `${path}.data.${field}`, ref: ref.trim(), types: def?.credentials?.types ?? [] });
    }
    const body = node.data.body;
    if (node.type === 'loop' && isObject(body)) refs.push(...credentialRefs(body.nodes, `${path}.data.body`));
  });
  return refs;
}

/** The owner's credential with this id or, failing that, this name (as the worker resolves it). */
export async function findCredential(repos: Repos, ownerId: string, idOrName: string): Promise<CredentialRow | undefined> {
  const byId = looksLikeId(idOrName) ? await repos.credentials.get(idOrName, { ownerId }) : undefined;
  return byId ?? repos.credentials.findByName(ownerId, idOrName);
}

/**
 * Warnings for the credentials `nodes` name that the owner does not have, or has of a type the
 * node does not take. Warnings, not errors: a flow may be saved before its credentials exist.
 */
export async function credentialWarnings(repos: Repos, ownerId: string, nodes: unknown): Promise<ValidationIssue[]> {
  const refs = credentialRefs(nodes);
  if (refs.length === 0) return [];
  const found = new Map<string, Promise<CredentialRow | undefined>>();
  const warnings: ValidationIssue[] = [];
  for (const { path, ref, types } of refs) {
    if (!found.has(ref)) found.set(ref, findCredential(repos, ownerId, ref));
    const credential = await found.get(ref)!;
    const accepted = types.join(', ');
    if (!credential) {
      warnings.push({
        path,
        code: 'UNKNOWN_CREDENTIAL',
        message: `No credential "${ref}" exists${accepted ? ` (this node takes ${accepted})` : ''}: runs fail at this node until it is created`,
      });
    } else if (types.length > 0 && !types.includes(credential.type)) {
      warnings.push({
        path,
        code: 'CREDENTIAL_TYPE_MISMATCH',
        message: `Credential "${ref}" is of type ${credential.type}; this node takes ${accepted}`,
      });
    }
  }
  return warnings;
}

/** The owner's flows that name `credential`, by id or by name, anywhere in their nodes. */
export async function flowsUsing(
  repos: Repos,
  credential: Pick<CredentialRow, 'id' | 'name' | 'owner_id'>,
  names: readonly string[] = [credential.id, credential.name],
): Promise<{ id: string; name: string }[]> {
  const flows = await repos.flows.listNodes(credential.owner_id);
  return flows.filter((f) => credentialRefs(f.nodes).some((r) => names.includes(r.ref))).map((f) => ({ id: f.id, name: f.name }));
}
