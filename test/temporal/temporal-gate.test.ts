import assert from 'node:assert/strict';
import type { Connection } from '@temporalio/client';
import { createTemporalGate } from '../../src/temporal/temporal-gate';

/** A connection whose calls are whatever the test's function returns. */
const fakeConnection = {
  withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
  workflowService: { getSystemInfo: async () => ({}) },
} as unknown as Connection;

describe('Temporal gate shutdown', () => {
  it('drains calls still running inside the client (past their gate deadline) before the connection may close', async () => {
    const gate = createTemporalGate({ connection: fakeConnection, deadlineMs: 20, probeDeadlineMs: 20 });
    let finish!: () => void;
    const slow = new Promise<void>((resolve) => (finish = resolve));
    // The gate gives up on the call at its deadline, but the client is still working on it (retrying).
    await assert.rejects(gate.call(() => slow), /did not answer in time|unavailable/i);
    let drained = false;
    const draining = gate.drain(5_000).then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(drained, false, 'a call is still in flight');
    finish();
    await draining;
    assert.equal(drained, true);
    gate.stop();
  });

  it('refuses new calls once stopped, and drains at once when nothing is in flight', async () => {
    const gate = createTemporalGate({ connection: fakeConnection });
    assert.equal(await gate.call(async () => 'ok'), 'ok');
    gate.stop();
    await assert.rejects(gate.call(async () => 'late'), /unavailable/i);
    const started = Date.now();
    await gate.drain(5_000);
    assert.ok(Date.now() - started < 100);
  });

  it('stops waiting after maxMs when a call never settles', async () => {
    const gate = createTemporalGate({ connection: fakeConnection, deadlineMs: 10, probeDeadlineMs: 10 });
    await assert.rejects(gate.call(() => new Promise(() => undefined)));
    const started = Date.now();
    await gate.drain(50);
    assert.ok(Date.now() - started >= 45);
    gate.stop();
  });
});
