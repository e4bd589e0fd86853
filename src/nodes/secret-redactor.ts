/** What a secret is replaced with. */
export const REDACTED = '***';

/**
 * Shorter values are not scrubbed: replacing every "ab" in an output would mangle it, and a
 * secret that short protects nothing anyway.
 */
export const MIN_SECRET_LENGTH = 4;

/** Replaces known secret values in text and in JSON-like values. */
export interface SecretRedactor {
  /** Whether there is anything to scrub; when false every method returns its argument. */
  readonly active: boolean;
  text(value: string): string;
  /** A copy of `value` with secrets replaced in every string (and key); `value` itself when none occurs. */
  value<T>(value: T): T;
}

/** A redactor for `secrets` (empty and too short values are ignored; longest first, so overlaps scrub whole). */
export function secretRedactor(secrets: readonly string[]): SecretRedactor {
  const list = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  // How each secret appears inside JSON text (quotes, backslashes and control characters escaped).
  const encoded = list.map((s) => JSON.stringify(s).slice(1, -1));
  const text = (value: string) => (list.some((s) => value.includes(s)) ? list.reduce((t, s) => t.split(s).join(REDACTED), value) : value);

  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) copy[text(k)] = walk(v);
      return copy;
    }
    return value;
  };

  return {
    active: list.length > 0,
    text: (value) => (list.length ? text(value) : value),
    value<T>(value: T): T {
      if (!list.length || value === undefined || value === null) return value;
      if (typeof value === 'string') return text(value) as T;
      let json: string | undefined;
      try {
        json = JSON.stringify(value);
      } catch {
        // A cycle: it cannot be serialised into history or logs either, so nothing leaks through it.
        return value;
      }
      if (json === undefined || !encoded.some((s) => json.includes(s))) return value;
      return walk(value) as T;
    },
  };
}
