import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { startPlatform } from './platform';

/** Entry point: `npm start` (API + worker + embedded Temporal unless TEMPORAL_ADDRESS is set). */
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
  const logger = createLogger(config.logLevel, { service: 'temporal-flows' });
  const platform = await startPlatform(config, logger);
  const parts = [
    platform.apiUrl && `API:               ${platform.apiUrl}/api/v1  (docs: ${platform.apiUrl}/docs, health: ${platform.apiUrl}/health)`,
    `Temporal:          ${platform.temporalAddress} (namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue})`,
    `Temporal Web UI:   ${platform.uiUrl}`,
    `Database:          ${config.database.client === 'sqlite' ? config.database.filename : 'postgres'}`,
    `Worker:            ${
      platform.supervisor
        ? `running in a supervised process (pid ${platform.supervisor.status().pid})`
        : platform.worker
          ? 'running in this process'
          : 'not started (RUN_WORKER=false)'
    }`,
  ].filter(Boolean);
  process.stdout.write(`\nTemporal Flows is up.\n  ${parts.join('\n  ')}\nPress Ctrl-C to stop.\n\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    platform
      .stop()
      .then(() => process.exit(0))
      .catch((err) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`Failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
