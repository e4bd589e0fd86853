/**
 * Run-wide teardown registry: helpers that start something shared for the whole mocha run register
 * its cleanup here, and the root `afterAll` hook in test/setup.ts runs them. Keeping this module
 * free of heavy imports lets test/setup.ts load it without slowing down tests that need nothing.
 */

const teardowns: (() => Promise<void>)[] = [];

/** Registers `fn` to run once after the last test. */
export function onRunEnd(fn: () => Promise<void>): void {
  teardowns.push(fn);
}

/** Runs every registered teardown (last registered first) and reports the first failure. */
export async function runTeardowns(): Promise<void> {
  const errors: unknown[] = [];
  for (const fn of teardowns.splice(0).reverse()) {
    try {
      await fn();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length) throw errors[0];
}
