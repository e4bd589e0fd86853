/**
 * Mocha root hook plugin (loaded through .mocharc.json `require`). Shared resources such as the
 * Temporal dev server of test/helpers/temporal-env.ts start lazily on first use and register their
 * cleanup with test/helpers/run-teardown.ts; this runs it after the last test.
 */
import { runTeardowns } from './helpers/run-teardown';

/** Root hooks that mocha registers for the whole run. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(30_000);
    await runTeardowns();
  },
};
