/**
 * A `runFlow` worker in a process of its own, so a test can SIGKILL it like a crashed machine.
 *
 * Run directly: `node --require tsx/cjs test/helpers/worker-process.ts <address> <task-queue> [namespace] [--hold]`
 * (or `TEMPORAL_ADDRESS` / `TEMPORAL_TASK_QUEUE` / `TEMPORAL_NAMESPACE`). It builds the workflow
 * bundle, prints `bundled`, and with `--hold` waits for a `start` line on stdin before it creates
 * the worker; it prints `ready` once the worker polls. It exits when stdin closes (its parent died)
 * or on SIGTERM/SIGINT (graceful shutdown). Imported, the module only exports {@link spawnWorkerProcess}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createNodeServices } from '../../src/nodes/node-services';
import { createWorker } from '../../src/worker/create-worker';
import { getWorkflowBundle } from '../../src/worker/workflow-bundle';

/** A worker child process started by {@link spawnWorkerProcess}. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the workflow bundle is built (the worker is not polling yet with `hold`). */
  bundled: Promise<void>;
  /** Resolves once the worker polls; rejects if the process exits first. */
  ready: Promise<void>;
  /** With `hold`: lets the worker start polling. */
  release(): void;
  /** Kills the process with `signal` (default SIGKILL) and resolves once it is gone. Safe to call twice. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** The last lines the process wrote (for failure messages). */
  output(): string;
}

/** Options of {@link spawnWorkerProcess}. */
export interface WorkerProcessOptions {
  address: string;
  taskQueue: string;
  namespace?: string;
  /** Build the bundle, then wait for {@link WorkerProcess.release} before polling. */
  hold?: boolean;
}

const OUTPUT_TAIL_LINES = 40;

/** Starts this script as a child process (under tsx) for the given server and task queue. */
export function spawnWorkerProcess(opts: WorkerProcessOptions): WorkerProcess {
  const args = [
    '--require',
    require.resolve('tsx/cjs'),
    __filename,
    opts.address,
    opts.taskQueue,
    opts.namespace ?? 'default',
  ];
  if (opts.hold) args.push('--hold');
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // A worker must not outlive the test run that started it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const tail: string[] = [];
  const marks = new Map<string, () => void>();
  const waitFor = (mark: string) => new Promise<void>((resolve) => marks.set(mark, resolve));
  const bundledMark = waitFor('bundled');
  const readyMark = waitFor('ready');
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
      marks.get(line.trim())?.();
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const died = exited.then(() => {
    throw new Error(
      `worker process exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail.join('\n')}`,
    );
  });
  died.catch(() => undefined);
  void exited.then(() => process.removeListener('exit', killOnExit));

  return {
    child,
    bundled: Promise.race([bundledMark, died]),
    ready: Promise.race([readyMark, died]),
    release: () => child.stdin!.write('start\n'),
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    output: () => tail.join('\n'),
  };
}

async function main(argv: string[]): Promise<void> {
  const positional = argv.filter((a) => !a.startsWith('--'));
  const address = positional[0] ?? process.env.TEMPORAL_ADDRESS;
  const taskQueue = positional[1] ?? process.env.TEMPORAL_TASK_QUEUE;
  const namespace = positional[2] ?? process.env.TEMPORAL_NAMESPACE ?? 'default';
  if (!address || !taskQueue)
    throw new Error('usage: worker-process.ts <address> <task-queue> [namespace] [--hold]');

  Runtime.install({ logger: new DefaultLogger('WARN') });

  const lines = readline.createInterface({ input: process.stdin });
  const started = new Promise<void>((resolve) => lines.on('line', (l) => l.trim() === 'start' && resolve()));
  // The parent closing our stdin means it is gone: do not linger as an orphan worker.
  lines.on('close', () => process.exit(0));

  await getWorkflowBundle();
  process.stdout.write('bundled\n');
  if (argv.includes('--hold')) await started;

  const connection = await NativeConnection.connect({ address });
  const worker = await createWorker({
    connection,
    namespace,
    taskQueue,
    services: createNodeServices({ httpAllowedHosts: ['127.0.0.1', 'localhost'] }),
    logSink: { async write() {} },
    async prepareSubFlow() {
      throw new Error('sub-flows are not available in this worker process');
    },
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => worker.shutdown());
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
  await connection.close();
  process.exit(0);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`worker-process: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
