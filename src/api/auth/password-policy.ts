import { COMMON_PASSWORDS } from './common-passwords';
import { MAX_PASSWORD_LENGTH } from './passwords';

/** Shortest password accepted at registration (characters, as JavaScript counts them). */
export const MIN_PASSWORD_LENGTH = 10;

/** Who the password is for: it must not be one of these. */
export interface PasswordOwner {
  username: string;
  email: string;
}

/**
 * Why `password` is not acceptable for `owner`, or undefined when it is: at least
 * {@link MIN_PASSWORD_LENGTH} and at most {@link MAX_PASSWORD_LENGTH} characters, not only
 * whitespace, not the username or email (case-insensitively), and not one of the
 * {@link COMMON_PASSWORDS}. Only for new passwords; logins are checked against the stored hash alone.
 */
export function passwordProblem(password: string, owner: PasswordOwner): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters`;
  if (password.trim() === '') return 'must not be only whitespace';
  const lower = password.trim().toLowerCase();
  if (lower === owner.username.trim().toLowerCase() || lower === owner.email.trim().toLowerCase()) {
    return 'must differ from the username and email';
  }
  if (COMMON_PASSWORDS.has(lower)) return 'is too common: it appears in public lists of breached passwords';
  return undefined;
}
