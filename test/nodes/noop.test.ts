import assert from 'node:assert/strict';
import { noopNode } from '../../src/nodes/types/noop';
import { makeNodeContext } from '../helpers/node-context';

function context(input: unknown, signal = new AbortController().signal) {
  return makeNodeContext({ nodeId: 'noop-1', prev: input, signal });
}

describe('noop node', () => {
  it('is an activity in the utility category with the global defaults except a longer timeout', () => {
    assert.equal(noopNode.kind, 'activity');
    assert.equal(noopNode.category, 'utility');
    assert.equal(noopNode.defaults?.retry, undefined);
    assert.ok(noopNode.defaults!.timeout_ms! > 60_000);
  });

  it('returns its value as result', async () => {
    const result = await noopNode.execute!({ value: { ok: true } }, context('ignored'));
    assert.deepEqual(result, { output: { result: { ok: true } } });
  });

  it('passes its input through when it has no value', async () => {
    const result = await noopNode.execute!({}, context({ from: 'upstream' }));
    assert.deepEqual(result.output, { result: { from: 'upstream' } });
  });

  it('waits delay_ms first', async () => {
    const started = Date.now();
    await noopNode.execute!({ value: 1, delay_ms: 50 }, context(null));
    assert.ok(Date.now() - started >= 45);
  });

  it('stops waiting when its signal is aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const running = noopNode.execute!({ delay_ms: 60_000 }, context(null, controller.signal));
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(running, { name: 'AbortError' });
    assert.ok(Date.now() - started < 5_000);
  });

  it('validates its data', () => {
    assert.ok(noopNode.dataSchema.safeParse({}).success);
    assert.ok(noopNode.dataSchema.safeParse(noopNode.example).success);
    assert.equal(noopNode.dataSchema.safeParse({ delay_ms: 60_001 }).success, false);
    assert.equal(noopNode.dataSchema.safeParse({ delay_ms: -1 }).success, false);
    assert.equal(noopNode.dataSchema.safeParse({ value: 1, extra: 2 }).success, false);
  });
});
