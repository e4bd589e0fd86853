import type { CredentialProvider } from '../../nodes/credentials';
import { NodeError } from '../../nodes/node-error';
import type { Repos } from '../../storage';
import { SecretBoxError, type SecretBox } from '../secret-box';
import { findCredential } from './credential-references';

/**
 * The worker's credentials: the store's rows, looked up by id or name among the owner's own and
 * decrypted. A value the configured keys cannot open fails the node without retries (another
 * attempt would not open it either); a failing database is left to the wrapper, which retries.
 */
export function createStoredCredentialProvider({ repos, box }: { repos: Repos; box: SecretBox }): CredentialProvider {
  return {
    async resolve(ownerId, idOrName) {
      const row = await findCredential(repos, ownerId, idOrName);
      if (!row) return undefined;
      let data: Record<string, unknown>;
      try {
        data = box.open<Record<string, unknown>>(row.encrypted_data);
      } catch (err) {
        if (!(err instanceof SecretBoxError)) throw err;
        throw new NodeError(
          `credential "${row.name}" cannot be decrypted with the configured keys (ENCRYPTION_KEY, ENCRYPTION_KEY_PREVIOUS)`,
          { retryable: false, type: 'CredentialUnreadable' },
        );
      }
      return { id: row.id, name: row.name, type: row.type, data };
    },
  };
}
