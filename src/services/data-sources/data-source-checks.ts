import type { CredentialProvider } from '../../nodes/credentials';
import { NodeError } from '../../nodes/node-error';
import { unprocessable } from '../../shared/errors';
import type { DataSourceRow, DataSourceType } from '../../storage';
import { SecretBoxError, type SecretBox } from '../secret-box';
import { CREDENTIAL_TYPES_FOR, parseConfig, SECRET_FIELDS, type SplitConfig } from './data-source-config';
import { hostProblem } from './guarded-socket';
import { resolveSqliteFile } from './sqlite-runner';

/** What the save-time checks need. */
export interface CheckDeps {
  box: SecretBox;
  credentials: CredentialProvider;
  allowedHosts: readonly string[];
  dataDir: string;
}

/** The stored secrets of a data source; none when it has none (or they cannot be opened any more). */
export function openSecrets(box: SecretBox, row: Pick<DataSourceRow, 'secrets_encrypted'>): Record<string, unknown> {
  if (!row.secrets_encrypted) return {};
  try {
    return box.open<Record<string, unknown>>(row.secrets_encrypted);
  } catch (err) {
    if (err instanceof SecretBoxError) return {};
    throw err;
  }
}

/** `config` of `type` parsed and split, or a 422 naming each problem (`config.host`…). */
export function splitOrFail(type: DataSourceType, raw: unknown): { split: SplitConfig; nulls: string[] } {
  const parsed = parseConfig(type, raw);
  if (!parsed.ok) throw unprocessable('the data source config is invalid', parsed.issues);
  return { split: parsed.value, nulls: parsed.nulls };
}

/**
 * The config a change leads to. `replace` (PUT): the given config is the new one. `merge`
 * (PATCH): its keys are laid over the stored config, null removing one. Either way a secret the
 * change does not mention stays as stored (same type only), null removes it, and naming a
 * credential drops an inline password.
 */
export function nextConfig(
  box: SecretBox,
  row: DataSourceRow,
  type: DataSourceType,
  given: Record<string, unknown> | undefined,
  mode: 'replace' | 'merge',
): SplitConfig {
  const sameType = type === row.type;
  let raw: Record<string, unknown>;
  if (given === undefined) raw = sameType ? { ...row.config } : {};
  else if (mode === 'merge' && sameType) {
    raw = { ...row.config, ...given };
    for (const [k, v] of Object.entries(given)) if (v === null && !SECRET_FIELDS[type].includes(k)) delete raw[k];
  } else raw = { ...given };
  const { split, nulls } = splitOrFail(type, raw);
  const kept = sameType ? openSecrets(box, row) : {};
  const secrets: Record<string, unknown> = { ...kept, ...split.secrets };
  for (const key of nulls) delete secrets[key];
  if ((type === 'postgresql' || type === 'mysql') && split.config.credential) delete secrets.password;
  return { config: split.config, secrets };
}

/**
 * Refuses at save time what could never work: a host the private-address guard refuses now (it
 * is checked again on every connection), a SQLite file outside `DATA_DIR/data-sources/` or
 * missing, a credential the owner does not have or of another type.
 */
export async function checkReachable(deps: CheckDeps, ownerId: string, type: DataSourceType, config: Record<string, unknown>): Promise<void> {
  const problems: Record<string, string> = {};
  if ((type === 'postgresql' || type === 'mysql') && typeof config.host === 'string') {
    const problem = await hostProblem(config.host, deps.allowedHosts);
    if (problem) problems['config.host'] = problem;
  }
  if (type === 'api' && typeof config.base_url === 'string') {
    const problem = await hostProblem(new URL(config.base_url).hostname.replace(/^\[(.*)\]$/, '$1'), deps.allowedHosts);
    if (problem) problems['config.base_url'] = problem;
  }
  if (type === 'sqlite') {
    try {
      resolveSqliteFile(deps.dataDir, String(config.path));
    } catch (err) {
      if (!(err instanceof NodeError)) throw err;
      problems['config.path'] = err.message;
    }
  }
  if (typeof config.credential === 'string') {
    const found = await deps.credentials.resolve(ownerId, config.credential).catch(() => undefined);
    const accepted = CREDENTIAL_TYPES_FOR[type];
    if (!found) problems['config.credential'] = 'no credential of yours has this id or name';
    else if (!accepted.includes(found.type)) problems['config.credential'] = `the credential is of type ${found.type}, expected one of ${accepted.join(', ')}`;
  }
  if (Object.keys(problems).length) throw unprocessable('the data source cannot be reached as configured', problems);
}
