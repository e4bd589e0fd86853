import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { DataSourceQuery, DataSourceResult } from '../../nodes/data-sources';
import { NodeError } from '../../nodes/node-error';
import { arm, cancelledError, timeoutError } from './driver';
import type { SqliteOutcome, SqliteRequest } from './sqlite-child';

/**
 * SQLite data sources: files inside `DATA_DIR/data-sources/`, queried in a few child processes so
 * that a statement past its timeout can be stopped (by killing its process: better-sqlite3 is
 * synchronous and has no interrupt) without blocking or losing the worker.
 */

/** Query processes at once; more queries wait for one. */
const PROCESSES = 2;
const ENTRY = path.join(__dirname, `sqlite-child${path.extname(__filename)}`);

/** The folder SQLite data sources live in. */
export function sqliteRoot(dataDir: string): string {
  return path.resolve(dataDir, 'data-sources');
}

/**
 * The real path of a SQLite data source's file, which must exist inside {@link sqliteRoot} (after
 * symbolic links are followed).
 * @throws NodeError (non-retryable, `InvalidDataSource`) for a path outside it or a missing file
 */
export function resolveSqliteFile(dataDir: string, file: string): string {
  const root = sqliteRoot(dataDir);
  const outside = () =>
    new NodeError(`The SQLite file must be inside ${root}`, { retryable: false, type: 'InvalidDataSource' });
  const wanted = path.resolve(root, file);
  if (wanted !== root && !wanted.startsWith(root + path.sep)) throw outside();
  let real: string;
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(root);
    real = fs.realpathSync(wanted);
  } catch {
    throw new NodeError(`The SQLite file ${path.relative(root, wanted)} does not exist in ${root}`, {
      retryable: false,
      type: 'InvalidDataSource',
    });
  }
  if (!real.startsWith(realRoot + path.sep) || !fs.statSync(real).isFile()) throw outside();
  return real;
}

interface Slot {
  child: ChildProcess;
  busy: boolean;
}

/** Runs SQLite statements in child processes; `close()` stops them. */
export interface SqliteRunner {
  query(file: string, request: DataSourceQuery, readOnly: boolean): Promise<DataSourceResult>;
  close(): Promise<void>;
}

/** A SQLite failure as a NodeError: busy files are retried, the rest (syntax, read-only) are not. */
function sqliteError(error: { message: string; code?: string }): NodeError {
  const code = error.code ?? 'SQLITE_ERROR';
  const retryable = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
  const type = code === 'SQLITE_CANTOPEN' ? 'InvalidDataSource' : retryable ? 'ConnectionFailed' : 'SqlError';
  return new NodeError(error.message, { retryable, type, details: { code } });
}

/** A pool of SQLite query processes, started on first use. */
export function createSqliteRunner(): SqliteRunner {
  const slots = new Set<Slot>();
  const waiting: (() => void)[] = [];
  let nextId = 1;
  let closed = false;

  const spawn = (): Slot => {
    const fromSource = ENTRY.endsWith('.ts');
    const child = fork(ENTRY, [], {
      // A query needs nothing of the worker's environment (secrets included).
      env: {},
      execArgv: fromSource ? ['--require', require.resolve('tsx/cjs')] : [],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    const slot: Slot = { child, busy: false };
    child.on('exit', () => slots.delete(slot));
    child.on('error', () => slots.delete(slot));
    slots.add(slot);
    return slot;
  };

  const idle = (slot: Slot) => {
    slot.busy = false;
    slot.child.unref();
    slot.child.channel?.unref();
    waiting.shift()?.();
  };

  const acquire = async (): Promise<Slot> => {
    for (;;) {
      if (closed) throw new NodeError('The SQLite runner is stopped', { retryable: true, type: 'ConnectionFailed' });
      const free = [...slots].find((s) => !s.busy && s.child.connected);
      const slot = free ?? (slots.size < PROCESSES ? spawn() : undefined);
      if (slot) {
        slot.busy = true;
        slot.child.ref();
        slot.child.channel?.ref();
        return slot;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };

  const kill = (slot: Slot) => {
    slots.delete(slot);
    slot.child.kill('SIGKILL');
    waiting.shift()?.();
  };

  return {
    async query(file, request, readOnly) {
      const slot = await acquire();
      const id = nextId++;
      return new Promise<DataSourceResult>((resolve, reject) => {
        let done = false;
        const finish = (broken: boolean) => {
          done = true;
          disarm();
          slot.child.off('message', onMessage);
          slot.child.off('exit', onExit);
          if (broken) kill(slot);
          else idle(slot);
        };
        const disarm = arm(request.timeoutMs, request.signal, (why) => {
          if (done) return;
          finish(true);
          reject(why === 'timeout' ? timeoutError(request.timeoutMs) : cancelledError());
        });
        const onMessage = (msg: { id: number; outcome: SqliteOutcome }) => {
          if (msg.id !== id) return;
          finish(false);
          const { outcome } = msg;
          if (outcome.ok) resolve({ rows: outcome.rows, columns: outcome.columns, truncated: outcome.truncated, affectedRows: outcome.affectedRows });
          else reject(sqliteError(outcome.error));
        };
        const onExit = (code: number | null, signal: string | null) => {
          if (done) return;
          finish(true);
          reject(new NodeError(`The SQLite query process ended (${signal ?? `code ${code}`})`, { retryable: true, type: 'ConnectionFailed' }));
        };
        slot.child.on('message', onMessage);
        slot.child.on('exit', onExit);
        const req: SqliteRequest = { id, file, readOnly, sql: request.query, params: request.params, limit: request.limit };
        slot.child.send(req, (err) => {
          if (!err || done) return;
          finish(true);
          reject(new NodeError(`The SQLite query process could not be reached: ${err.message}`, { retryable: true, type: 'ConnectionFailed' }));
        });
      });
    },

    async close() {
      closed = true;
      for (const slot of [...slots]) kill(slot);
      for (const wake of waiting.splice(0)) wake();
    },
  };
}
