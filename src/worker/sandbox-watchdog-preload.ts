/**
 * Loaded with `--require` into a supervised worker process (see `supervisor.ts`), so it also runs
 * first in every thread the process starts, before the Temporal SDK's workflow threads load their
 * sandbox: there it replaces the per-entry watchdog threads with the shared watchdog.
 */
import { isMainThread } from 'node:worker_threads';
import { installSharedWatchdog, markSharedWatchdogPreloaded } from './sandbox-watchdog';

if (isMainThread) markSharedWatchdogPreloaded();
else installSharedWatchdog();
