import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (credentials, webhook signing secrets, data source passwords): AES-256-GCM under
 * `ENCRYPTION_KEY`, with a fresh 12-byte nonce per value and the key's fingerprint in the text, so
 * after a rotation values written under `ENCRYPTION_KEY_PREVIOUS` still open and can be re-sealed
 * under the new key. Format: `v1.<key id>.<nonce>.<tag>.<ciphertext>` (base64url parts).
 */
export interface SecretBox {
  /** Encrypts `plain` (any JSON value) under the current key. */
  seal(plain: unknown): string;
  /** Decrypts a sealed value (current or previous key); throws when it was tampered with. */
  open<T = unknown>(sealed: string): T;
  /** Whether `sealed` was written under the current key (a rotation re-seals the others). */
  isCurrent(sealed: string): boolean;
}

/** Thrown when a sealed value cannot be opened: a wrong or unknown key, or altered bytes. */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

const VERSION = 'v1';

/** A short, non-secret fingerprint of a key, stored with every value sealed under it. */
function keyId(key: Buffer): string {
  return createHash('sha256').update('temporal-flows secret key').update(key).digest('base64url').slice(0, 8);
}

/** The secret box over the current key and, during a rotation, the previous one. */
export function createSecretBox(key: Buffer, previous?: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('ENCRYPTION_KEY must be 32 bytes');
  const keys = new Map<string, Buffer>([[keyId(key), key]]);
  if (previous) keys.set(keyId(previous), previous);
  const currentId = keyId(key);
  return {
    seal(plain) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(Buffer.from(`${VERSION}.${currentId}`));
      const body = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
      return [VERSION, currentId, nonce.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    open<T>(sealed: string): T {
      const [version, id, nonce, tag, body] = sealed.split('.');
      const k = keys.get(id);
      if (version !== VERSION || !k || !nonce || !tag || body === undefined) throw new SecretBoxError('the secret cannot be opened with the configured keys');
      try {
        const decipher = createDecipheriv('aes-256-gcm', k, Buffer.from(nonce, 'base64url'));
        decipher.setAAD(Buffer.from(`${VERSION}.${id}`));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
        return JSON.parse(plain) as T;
      } catch {
        throw new SecretBoxError('the secret was altered or sealed under another key');
      }
    },
    isCurrent(sealed) {
      return sealed.split('.')[1] === currentId;
    },
  };
}
