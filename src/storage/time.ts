/**
 * Timestamps are stored as ISO-8601 UTC strings (`2024-05-01T09:30:00.000Z`) on every dialect:
 * fixed width, so they sort and compare correctly as text, and they come back exactly as the API
 * returns them.
 */

/** The current time as an ISO-8601 UTC string with milliseconds. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** Normalises a date, epoch milliseconds or date string to the stored ISO form; throws on invalid input. */
export function toIso(value: string | number | Date): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError(`Invalid date: ${String(value)}`);
  return date.toISOString();
}

/** {@link toIso} that passes `null` and `undefined` through as `null`. */
export function toIsoOrNull(value: string | number | Date | null | undefined): string | null {
  return value === null || value === undefined ? null : toIso(value);
}
