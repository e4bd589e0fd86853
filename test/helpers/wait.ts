/**
 * Polls `fn` every 100 ms until it returns something other than undefined or false; throws after
 * `timeoutMs`. `what` names the awaited condition in that error; as a function it is called only
 * then, so it can report the last state seen.
 */
export async function until<T>(
  fn: () => Promise<T | undefined | false>,
  what: string | (() => string),
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
