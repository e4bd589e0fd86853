import * as argon2 from 'argon2';

/**
 * Argon2id parameters: 19 MiB of memory, 2 passes, 1 lane — the OWASP Password Storage Cheat
 * Sheet's baseline for Argon2id (about 20–40 ms per hash on a server core).
 */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** Longest password accepted; longer inputs are rejected before hashing (cheap DoS guard). */
export const MAX_PASSWORD_LENGTH = 1024;

/** Hashes `password` with Argon2id; the PHC string carries its own salt and parameters. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

/** Whether `password` matches `hash`; a malformed or foreign hash counts as a mismatch, never an error. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * A throwaway hash made with the same parameters as real ones, computed once per process. Call
 * it at start-up so the first login for an unknown user is not faster than the others.
 */
export function prepareDummyHash(): Promise<string> {
  dummyHash ??= argon2.hash('not-a-real-password', ARGON2_OPTIONS);
  return dummyHash;
}

/**
 * Verifies `password` against `hash`, or — when there is no such user (`hash` undefined) — against
 * a dummy hash and returns false, so a login for an unknown name costs the same time as a wrong
 * password and response times do not reveal which usernames exist.
 */
export async function verifyPasswordOrDummy(hash: string | undefined, password: string): Promise<boolean> {
  if (hash === undefined) {
    await verifyPassword(await prepareDummyHash(), password);
    return false;
  }
  return verifyPassword(hash, password);
}
