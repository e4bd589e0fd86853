import assert from 'node:assert/strict';
import type { Payload } from '@temporalio/common';
import { ClaimCheckCodec, CLAIM_CHECK_ENCODING, type PayloadStore } from '../../src/temporal/claim-check-codec';
import type { PayloadBlob } from '../../src/storage';

const text = new TextEncoder();
const json = (value: unknown): Payload => ({
  metadata: { encoding: text.encode('json/plain') },
  data: text.encode(JSON.stringify(value)),
});

function memoryStore(): PayloadStore & { blobs: Map<string, PayloadBlob>; puts: number } {
  const blobs = new Map<string, PayloadBlob>();
  const store = {
    blobs,
    puts: 0,
    async put(blob: PayloadBlob) {
      store.puts++;
      if (!blobs.has(blob.sha256)) blobs.set(blob.sha256, blob);
    },
    async get(sha256: string) {
      return blobs.get(sha256);
    },
  };
  return store;
}

describe('claim-check payload codec', () => {
  it('leaves payloads up to the threshold untouched', async () => {
    const store = memoryStore();
    const codec = new ClaimCheckCodec(store, 1024);
    const small = json({ ok: 'x'.repeat(900) });
    const [encoded] = await codec.encode([small]);
    assert.equal(encoded, small);
    assert.equal(store.puts, 0);
    assert.deepEqual(await codec.decode([encoded]), [small]);
  });

  it('stores a larger payload once and puts a small reference in its place; decoding restores it exactly', async () => {
    const store = memoryStore();
    const codec = new ClaimCheckCodec(store, 1024);
    const big = json({ text: 'y'.repeat(50_000) });
    big.metadata!.custom = new Uint8Array([0, 255, 7]);
    const [a, b] = await codec.encode([big, big]);
    assert.equal(new TextDecoder().decode(a.metadata!.encoding), CLAIM_CHECK_ENCODING);
    assert.ok(a.data!.byteLength < 200, `reference is ${a.data!.byteLength} bytes`);
    const ref = JSON.parse(new TextDecoder().decode(a.data));
    assert.match(ref.sha256, /^[0-9a-f]{64}$/);
    assert.equal(ref.size, big.data!.byteLength);
    assert.deepEqual(b, a, 'the same value gets the same reference');
    assert.equal(store.blobs.size, 1);

    const [back] = await codec.decode([a]);
    assert.deepEqual(Buffer.from(back.data!), Buffer.from(big.data!));
    assert.deepEqual(Object.keys(back.metadata!).sort(), ['custom', 'encoding']);
    assert.deepEqual([...back.metadata!.custom], [0, 255, 7]);
    assert.equal(new TextDecoder().decode(back.metadata!.encoding), 'json/plain');
  });

  it('refuses to decode a reference whose payload is gone, naming it', async () => {
    const store = memoryStore();
    const codec = new ClaimCheckCodec(store, 10);
    const [ref] = await codec.encode([json('z'.repeat(100))]);
    store.blobs.clear();
    await assert.rejects(codec.decode([ref]), /stored payload [0-9a-f]{64} \(\d+ bytes\) not found/);
  });
});
