import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';

/** At most this many reminders per approval node (the node's schema says the same). */
export const MAX_REMINDERS = 20;

/**
 * The reminder times of an approval (ms after it began to wait), sorted and without duplicates;
 * those at or after the timeout are dropped (the approval is over by then).
 */
export function reminderTimes(remindersMs: unknown, timeoutMs: number | undefined): number[] {
  if (!Array.isArray(remindersMs)) return [];
  const times = remindersMs.filter((ms): ms is number => typeof ms === 'number' && Number.isFinite(ms) && ms > 0);
  return [...new Set(times)]
    .filter((ms) => timeoutMs === undefined || ms < timeoutMs)
    .sort((a, b) => a - b)
    .slice(0, MAX_REMINDERS);
}

/**
 * Calls `remind` at each of `times` (ms from now) with one timer at a time, until the returned
 * function is called. Only approval nodes with `reminders_ms` get here, so runs recorded before
 * reminders existed issue no new command.
 */
export function startReminders(times: number[], label: string, remind: (number: number, afterMs: number) => void): () => void {
  const scope = new CancellationScope();
  scope
    .run(async () => {
      let waited = 0;
      for (const [i, at] of times.entries()) {
        await sleep(at - waited, { summary: `reminder ${i + 1} for ${label}` });
        waited = at;
        remind(i + 1, at);
      }
    })
    .catch((err) => {
      if (!isCancellation(err)) throw err;
    });
  return () => scope.cancel();
}
