import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../logger';
import { startPlatform } from '../platform';
import { exitWhenSandboxStuck, sharedWatchdogPreloaded } from './sandbox-watchdog';
import type { StartRunReply, StartRunRequest } from './supervisor';
import { slotsOf } from './worker-slots';

/**
 * Entry of a supervised worker process (see `supervisor.ts`): starts the platform with the worker
 * only, tells the parent once it polls Temporal, and stops cleanly on SIGTERM or when the parent
 * goes away.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, { service: 'temporal-flows', role: 'worker' });
  // Before the worker starts its workflow threads: they announce themselves when they load.
  if (sharedWatchdogPreloaded()) exitWhenSandboxStuck(logger);
  const platform = await startPlatform(config, logger);
  // The parent API starts runs through this process, so their first workflow task comes straight back here.
  process.on('message', (msg: StartRunRequest) => {
    if (msg?.type !== 'start-run') return;
    const reply = (r: Omit<StartRunReply, 'type' | 'id'>) => {
      if (process.connected) process.send?.({ type: 'start-run-result', id: msg.id, ...r } satisfies StartRunReply);
    };
    platform.startOnWorker(msg.start).then(
      (started) => reply({ started }),
      (err: Error) => reply({ error: { name: err?.name ?? 'Error', message: err?.message ?? String(err) } }),
    );
  });
  process.send?.({ type: 'ready' });
  const worker = platform.worker;
  // The supervising process serves /metrics: it learns the worker's slots from here.
  const report = setInterval(() => {
    if (worker && process.connected) process.send?.({ type: 'slots', slots: slotsOf(worker.getStatus()) });
  }, 5_000);
  report.unref();
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    platform.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', () => undefined); // the parent decides; Ctrl-C reaches the whole group
  process.on('disconnect', stop);
}

main().catch((err) => {
  process.stderr.write(`Worker failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
