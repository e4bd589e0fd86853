import Database from 'better-sqlite3';

/**
 * Entry of a SQLite query process (see `sqlite-runner.ts`): runs one statement per request on a
 * file it opens for that request (read-only unless the data source allows writes). better-sqlite3
 * has no interrupt or progress handler, so a statement past its timeout is stopped by the parent
 * killing this process.
 */

/** A statement as the runner posts it. */
export interface SqliteRequest {
  id: number;
  file: string;
  readOnly: boolean;
  sql: string;
  params: unknown[];
  limit: number;
}

/** How a statement ended; plain data for IPC. */
export type SqliteOutcome =
  | { ok: true; rows: Record<string, unknown>[]; columns: string[]; truncated: boolean; affectedRows: number | null }
  | { ok: false; error: { message: string; code?: string } };

// Statements that reach files other than the data source's own: ATTACH (any SQLite file the
// worker can read, the platform's database included) and VACUUM INTO (writes a new file, even on a
// read-only connection). Recognised in SQLite's own compiled program, not by reading the SQL.
function reachesOtherFiles(db: Database.Database, sql: string, params: unknown[]): boolean {
  let program: { opcode: string; p4: unknown }[];
  try {
    program = db.prepare(`EXPLAIN ${sql}`).all(...params) as { opcode: string; p4: unknown }[];
  } catch {
    // Only an EXPLAIN statement cannot be explained again, and it runs nothing.
    return false;
  }
  return program.some(
    (op) => op.opcode === 'Vacuum' || ((op.opcode === 'Function' || op.opcode === 'PureFunc') && /^sqlite_(attach|detach)\b/.test(String(op.p4))),
  );
}

function bindable(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value;
}

function jsonSafe(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'bigint' ? v.toString() : v;
  }
  return out;
}

function runStatement(req: SqliteRequest): SqliteOutcome {
  const db = new Database(req.file, { readonly: req.readOnly, fileMustExist: true, timeout: 5_000 });
  try {
    const params = req.params.map(bindable);
    const stmt = db.prepare(req.sql);
    if (reachesOtherFiles(db, req.sql, params)) {
      return { ok: false, error: { message: 'ATTACH, DETACH and VACUUM are not allowed on a data source', code: 'SQLITE_AUTH' } };
    }
    if (!stmt.reader) {
      const info = stmt.run(...params);
      return { ok: true, rows: [], columns: [], truncated: false, affectedRows: info.changes };
    }
    const rows: Record<string, unknown>[] = [];
    let truncated = false;
    for (const row of stmt.iterate(...params) as Iterable<Record<string, unknown>>) {
      if (rows.length === req.limit) {
        truncated = true;
        break;
      }
      rows.push(jsonSafe(row));
    }
    return { ok: true, rows, columns: stmt.columns().map((c) => c.name), truncated, affectedRows: null };
  } finally {
    db.close();
  }
}

process.on('message', (req: SqliteRequest) => {
  let outcome: SqliteOutcome;
  try {
    outcome = runStatement(req);
  } catch (err) {
    const e = err as { message?: string; code?: unknown };
    outcome = { ok: false, error: { message: e.message ?? String(err), code: typeof e.code === 'string' ? e.code : undefined } };
  }
  process.send?.({ id: req.id, outcome });
});
