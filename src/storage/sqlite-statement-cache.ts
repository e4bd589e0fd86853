/**
 * better-sqlite3 statements are compiled by `prepare(sql)`, and knex prepares every query it runs
 * anew: for the run index's small writes the compile costs as much as the write (a profile of
 * the worker put it at ~1.3 ms of CPU per run). This keeps the newest `max` statements of a
 * connection by their SQL text. better-sqlite3 statements are reusable (knex only calls
 * `all`/`run` on them, which finish before returning), and SQLite recompiles a statement by itself
 * when the schema changes under it.
 */

/** The part of a better-sqlite3 connection the cache wraps. */
export interface PreparingConnection {
  prepare(sql: string): unknown;
}

/** Makes `conn.prepare` return the statement it compiled before for the same SQL (newest `max` kept). */
export function cacheStatements(conn: PreparingConnection, max = 500): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, unknown>();
  conn.prepare = (sql: string) => {
    let statement = cache.get(sql);
    if (statement !== undefined) {
      // Refresh its place: the least recently used statement is the one dropped.
      cache.delete(sql);
    } else {
      statement = prepare(sql);
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
    }
    cache.set(sql, statement);
    return statement;
  };
}
