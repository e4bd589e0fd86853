import assert from 'node:assert/strict';
import type { NodeLogEntry } from '../../activities/log-sink';
import { createNodeLogWriter, LOG_BATCH_MS } from '../../src/worker/node-log-writer';

const line = (message: string): NodeLogEntry => ({
  execution_id: 'e1',
  node_id: 'n1',
  node_type: 'noop',
  level: 'info',
  message,
  timestamp: new Date().toISOString(),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('node log writer (worker)', () => {
  it('returns to the node at once and writes its lines in one batch, in order, shortly after', async () => {
    const inserts: string[][] = [];
    const writer = createNodeLogWriter({ insert: async (e) => inserts.push(e.map((l) => l.message)), onError: assert.fail });
    await writer.sink.write([line('a')]);
    await writer.sink.write([line('b'), line('c')]);
    assert.deepEqual(inserts, [], 'nothing is written while the node returns');
    await sleep(LOG_BATCH_MS * 3);
    assert.deepEqual(inserts, [['a', 'b', 'c']]);
  });

  it('flush writes what it holds now, after the writes before it', async () => {
    const inserts: string[][] = [];
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    let first = true;
    const writer = createNodeLogWriter({
      insert: async (e) => {
        if (first) {
          first = false;
          await slow;
        }
        inserts.push(e.map((l) => l.message));
      },
      onError: assert.fail,
    });
    await writer.sink.write([line('a')]);
    const one = writer.flush();
    await writer.sink.write([line('b')]);
    const two = writer.flush();
    release();
    await two;
    assert.deepEqual(inserts, [['a'], ['b']]);
    await one;
    await writer.flush(); // nothing held: resolves at once
    assert.equal(inserts.length, 2);
  });

  it('writes a node test\'s lines (now) before it resolves, with what was waiting', async () => {
    const inserts: string[][] = [];
    const writer = createNodeLogWriter({ insert: async (e) => inserts.push(e.map((l) => l.message)), onError: assert.fail });
    await writer.sink.write([line('a')]);
    await writer.sink.write([line('b')], { now: true });
    assert.deepEqual(inserts, [['a', 'b']]);
    await sleep(LOG_BATCH_MS * 2);
    assert.equal(inserts.length, 1, 'the timer of the first line writes nothing more');
  });

  it('reports a failed write and goes on with the next lines', async () => {
    const errors: unknown[] = [];
    const inserts: string[][] = [];
    let fail = true;
    const writer = createNodeLogWriter({
      insert: async (e) => {
        if (fail) {
          fail = false;
          throw new Error('disk full');
        }
        inserts.push(e.map((l) => l.message));
      },
      onError: (err) => errors.push(err),
    });
    await writer.sink.write([line('lost')]);
    await writer.flush();
    await writer.sink.write([line('kept')]);
    await writer.flush();
    assert.equal((errors[0] as Error).message, 'disk full');
    assert.deepEqual(inserts, [['kept']]);
  });
});
