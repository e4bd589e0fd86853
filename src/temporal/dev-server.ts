import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import type { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import type { Logger } from 'pino';
import { SEARCH_ATTRIBUTES } from '../shared/flow';
import { connectWithRetry } from './connection';

/**
 * Dynamic config the platform runs its dev server with. With the CLI's defaults every sequential
 * activity costs ~100 ms: the dev server has one history shard, and its transfer queue is polled at
 * most `history.transferProcessorMaxPollRPS` = 20 times a second, twice per activity (activity task,
 * then workflow task). Raising the history queue poll rates (timers: delays and retry backoffs;
 * visibility: run listings) and letting the worker take activities eagerly brings it to ~15-20 ms.
 * Measurements and the command that produced them: docs/benchmarks.md, "Dev server tuning".
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, DynamicConfigValue>> = {
  'history.transferProcessorMaxPollRPS': 10000,
  'history.timerProcessorMaxPollRPS': 10000,
  // Timers fire when due instead of up to a second late (delays, retry backoffs, approval timeouts).
  'history.timerProcessorMaxTimeShift': '1ms',
  'history.visibilityProcessorMaxPollRPS': 10000,
  'system.enableActivityEagerExecution': true,
};

/** SQLite settings of a file-backed dev server (docs/benchmarks.md, "What a user gets"). */
export const DEV_SERVER_SQLITE_PRAGMAS: readonly string[] = ['journal_mode=wal', 'synchronous=normal'];

/** A dynamic config value, passed to `--dynamic-config-value KEY=<json>`. */
export type DynamicConfigValue = string | number | boolean;

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  /** Absolute path of the Temporal CLI (see `findTemporalCli`). */
  cliPath: string;
  /** Frontend gRPC port on 127.0.0.1. */
  port: number;
  /** Web UI port; ignored when `headless`. Defaults to `port + 1000`, as the CLI does. */
  uiPort?: number;
  /** Run without the Web UI (tests). */
  headless?: boolean;
  /** SQLite file that keeps workflow state across restarts; in-memory when absent. */
  dbFile?: string;
  /** Namespace the platform uses; created at start when it is not `default`. */
  namespace: string;
  /** Receives the server's output at debug level. */
  logger?: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** Replaces {@link DEV_SERVER_DYNAMIC_CONFIG} (an empty object runs with the CLI's own defaults). */
  dynamicConfig?: Record<string, DynamicConfigValue>;
  /** How long to wait for the frontend and the search attributes (default 60 s). */
  startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
  /** Serves the server's Prometheus metrics on this port of 127.0.0.1 (benchmarks count requests per run). */
  metricsPort?: number;
}

/** A running dev server. */
export interface DevServer {
  /** `host:port` of the frontend. */
  address: string;
  /** Base URL of the Web UI, undefined when headless. */
  uiUrl?: string;
  /** Process id of the CLI. */
  pid: number;
  /** Sends SIGTERM, waits for the exit, and SIGKILLs after `stopTimeoutMs`. Safe to call twice. */
  stop(): Promise<void>;
}

/** Thrown when a port the dev server needs is taken by another process. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly purpose: string,
  ) {
    super(
      `Cannot start the Temporal dev server: ${purpose} port ${port} on 127.0.0.1 is already in use by another process ` +
        `(another Temporal server?). Stop it, choose another port, or point TEMPORAL_ADDRESS at the running server.`,
    );
    this.name = 'PortInUseError';
  }
}

const HOST = '127.0.0.1';
const OUTPUT_TAIL_LINES = 40;

/** Resolves whether `port` can be bound on 127.0.0.1 right now. */
export function isPortFree(port: number, host = HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Asks the OS for a port that is free on 127.0.0.1 at the time of the call. */
export function getFreePort(host = HOST): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen({ port: 0, host }, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** `--search-attribute` type names as the CLI spells them (`Keyword`) → the proto enum name (`KEYWORD`). */
function protoTypeName(cliType: string) {
  return cliType.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as Parameters<
    typeof encodeSearchAttributeIndexedValueType
  >[0];
}

function buildArgs(opts: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--ip', HOST, '--port', String(opts.port)];
  if (opts.headless) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort ?? opts.port + 1000));
  if (opts.dbFile) {
    args.push('--db-filename', opts.dbFile);
    // WAL with synchronous=NORMAL: a commit is one append, not a journal rewrite and two fsyncs, and
    // it survives a killed process (only an OS crash or power loss can lose the last commits).
    for (const pragma of DEV_SERVER_SQLITE_PRAGMAS) args.push('--sqlite-pragma', pragma);
  }
  if (opts.metricsPort) args.push('--metrics-port', String(opts.metricsPort));
  if (opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  // Registered when the namespace is created; an existing db file is topped up after start (ensureSearchAttributes).
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(opts.dynamicConfig ?? DEV_SERVER_DYNAMIC_CONFIG)) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  return args;
}

/**
 * Registers any of {@link SEARCH_ATTRIBUTES} the namespace lacks and resolves once all are listed.
 * Idempotent: also used for servers the platform did not start (`TEMPORAL_ADDRESS`).
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  deadline = Date.now() + 30_000,
): Promise<void> {
  for (;;) {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !customAttributes?.[name]);
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`search attributes not visible in time: ${missing.map(([n]) => n).join(', ')}`);
    }
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(
          missing.map(([name, type]) => [name, encodeSearchAttributeIndexedValueType(protoTypeName(type))!]),
        ),
      });
    } catch (err) {
      // Another starter may have added them concurrently; the next listing decides.
      if (!/already exists/i.test((err as Error).message)) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until `namespace` is served; the dev server creates namespaces asynchronously on a fresh db. */
async function waitForNamespace(
  connection: Connection,
  namespace: string,
  deadline: number,
  signal: AbortSignal,
): Promise<void> {
  for (;;) {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch (err) {
      if (signal.aborted || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Starts `temporal server start-dev` on 127.0.0.1 with the platform's search attributes and dynamic
 * config, and resolves once the frontend answers and the search attributes are visible.
 * Rejects with {@link PortInUseError} when the gRPC (or UI) port is taken.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const address = `${HOST}:${opts.port}`;
  const uiPort = opts.headless ? undefined : (opts.uiPort ?? opts.port + 1000);
  if (!(await isPortFree(opts.port))) throw new PortInUseError(opts.port, 'gRPC');
  if (uiPort !== undefined && !(await isPortFree(uiPort))) throw new PortInUseError(uiPort, 'Web UI');

  const args = buildArgs(opts);
  opts.logger?.debug({ cli: opts.cliPath, args }, 'starting Temporal dev server');
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  // A Go panic's reason comes before a long stack trace that pushes it out of the tail: keep it.
  let panic: string | undefined;
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      if (panic === undefined && /^(panic|fatal error):/.test(line)) panic = line;
      tail.push(line);
      if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
      opts.logger?.debug({ temporal: 'dev-server' }, line);
    });
  }
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  // A dev server must not outlive the process that started it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      if (!(await waitForExit(child, opts.stopTimeoutMs ?? 10_000))) {
        opts.logger?.warn({ pid: child.pid }, 'Temporal dev server ignored SIGTERM; killing it');
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    })();
    return stopping;
  };

  let started = false;
  const exited = new Promise<never>((_, reject) => {
    const onExit = () => {
      const output = (panic !== undefined && !tail.includes(panic) ? [panic, '…', ...tail] : tail).join('\n');
      if (started) {
        if (!stopping) opts.logger?.warn({ code: child.exitCode, signal: child.signalCode, output }, 'Temporal dev server exited');
        return;
      }
      if (/can't (set|use) (default )?UI port/i.test(output) && uiPort !== undefined) {
        reject(new PortInUseError(uiPort, 'Web UI'));
      } else if (/can't set frontend port/i.test(output)) {
        reject(new PortInUseError(opts.port, 'gRPC'));
      } else {
        const why = spawnError ? spawnError.message : `exit code ${child.exitCode ?? child.signalCode}`;
        reject(new Error(`Temporal dev server exited during start-up (${why}):\n${output}`));
      }
    };
    // 'close' (not 'exit') so the output tail already holds the CLI's last words.
    child.once('close', onExit);
    child.once('error', () => {
      if (child.pid === undefined) onExit();
    });
  });
  exited.catch(() => undefined);

  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const abort = new AbortController();
  const ready = (async () => {
    const connection = await connectWithRetry(address, { timeoutMs, retryDelayMs: 100, signal: abort.signal });
    try {
      await waitForNamespace(connection, opts.namespace, deadline, abort.signal);
      await ensureSearchAttributes(connection, opts.namespace, deadline);
    } finally {
      await connection.close();
    }
  })();
  try {
    await Promise.race([ready, exited]);
  } catch (err) {
    abort.abort();
    ready.catch(() => undefined);
    await stop();
    throw err;
  }
  started = true;
  opts.logger?.info({ address, uiPort, dbFile: opts.dbFile ?? null }, 'Temporal dev server ready');
  return { address, uiUrl: uiPort === undefined ? undefined : `http://${HOST}:${uiPort}`, pid: child.pid!, stop };
}
