import assert from 'node:assert/strict';
import { namespaceRetentionMs } from '../../src/services/payload-gc';
import { getTestTemporal } from '../helpers/temporal-env';

describe('namespace retention (for the stored-payload collector)', () => {
  it("reads how long the namespace keeps closed runs' histories", async () => {
    const t = await getTestTemporal();
    const ms = await namespaceRetentionMs(t.connection, t.namespace);
    assert.equal(typeof ms, 'number');
    assert.ok(ms! >= 3_600_000 && ms! % 1000 === 0, `retention ${ms} ms`);
  });
});
