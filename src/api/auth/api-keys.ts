import { createHash, randomBytes } from 'node:crypto';

/** Every API key starts with this, so leaked keys are easy to spot (and to scan for). */
export const API_KEY_PREFIX = 'flk_';
/** Random base62 characters after the prefix (~238 bits). */
export const API_KEY_RANDOM_LENGTH = 40;
/** How many characters of the key are stored in clear (as `prefix`) so users can tell keys apart. */
export const API_KEY_DISPLAY_LENGTH = API_KEY_PREFIX.length + 8;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}[0-9A-Za-z]{${API_KEY_RANDOM_LENGTH}}$`);

/** A new key: `key` is shown to its owner once; only `hash` and `prefix` are stored. */
export interface GeneratedApiKey {
  key: string;
  hash: string;
  prefix: string;
}

/** `length` uniformly random base62 characters. */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 × 62: rejecting bytes above it keeps every character equally likely.
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** SHA-256 (hex) of a key: what `api_keys.key_hash` holds and what lookups use. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Whether `value` has the shape of a key this API issues (cheap check before any lookup). */
export function looksLikeApiKey(value: string): boolean {
  return KEY_PATTERN.test(value);
}

/** Generates `flk_<40 base62 characters>` with its hash and display prefix. */
export function generateApiKey(): GeneratedApiKey {
  const key = API_KEY_PREFIX + randomBase62(API_KEY_RANDOM_LENGTH);
  return { key, hash: hashApiKey(key), prefix: key.slice(0, API_KEY_DISPLAY_LENGTH) };
}
