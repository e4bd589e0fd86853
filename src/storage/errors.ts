/** Thrown by repositories when an insert or update hits a unique constraint (duplicate name, key…). */
export class UniqueViolationError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'UniqueViolationError';
  }
}

/** Whether a driver error (Postgres or SQLite) is a unique or primary-key violation. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Runs `fn`, turning a unique violation into a {@link UniqueViolationError} with `message`. */
export async function rethrowUnique<T>(message: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw new UniqueViolationError(message, err);
    throw err;
  }
}
