import assert from 'node:assert/strict';
import { DEFAULT_OFFLOAD_BYTES } from '../../src/temporal/claim-check-codec';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

/** The largest byte array anywhere in `value` (history events keep payload bytes as Uint8Array). */
function largestBytes(value: unknown, seen = new Set<unknown>()): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value !== 'object' || value === null || seen.has(value)) return 0;
  seen.add(value);
  let max = 0;
  for (const v of Object.values(value)) max = Math.max(max, largestBytes(v, seen));
  return max;
}

const BIG = 700_000;

describe('large payloads stay out of workflow history', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let token: string;

  before(async () => {
    tp = await startTestPlatform();
    token = (await tp.login()).token;
  });
  after(async () => tp?.stop());

  it('runs a flow whose nodes pass 700 KB values along (2.8 MB in all) and returns every step', async () => {
    // Each code node gets every earlier output as its context: the fourth one's input alone is
    // over Temporal's 2 MB limit for one payload.
    const nodes: unknown[] = [{ id: 'start', type: 'start' }];
    const edges: unknown[] = [];
    let prev = 'start';
    for (let i = 0; i < 4; i++) {
      nodes.push({ id: `big${i}`, type: 'code', data: { code: `return '${i}'.repeat(${BIG})` } });
      edges.push({ source: prev, target: `big${i}` });
      prev = `big${i}`;
    }
    nodes.push({ id: 'end', type: 'end', data: { output: { last: '{{ big3.result }}' } } });
    edges.push({ source: prev, target: 'end' });
    const flow = await tp.api('POST', '/api/v1/workflows', { name: 'big values', nodes, edges }, token);
    assert.equal(flow.status, 201, JSON.stringify(flow.body));

    const run = await tp.api('POST', `/api/v1/workflows/${flow.body.id}/execute`, { input_data: {}, wait: true, timeout_ms: 60_000 }, token);
    assert.equal(run.status, 200, JSON.stringify(run.body).slice(0, 500));
    assert.equal(run.body.status, 'completed', JSON.stringify(run.body.error));
    assert.equal(run.body.output_data.last, '3'.repeat(BIG));

    const detail = await tp.api('GET', `/api/v1/executions/${run.body.id}`, undefined, token);
    assert.equal(detail.status, 200);
    const outputs = Object.fromEntries(detail.body.steps.map((s: any) => [s.node_id, s.output?.result]));
    for (let i = 0; i < 4; i++) assert.equal(outputs[`big${i}`], String(i).repeat(BIG), `step big${i}`);

    const history = await tp.platform.temporal.client.workflow.getHandle(run.body.temporal.workflow_id).fetchHistory();
    const largest = largestBytes(history);
    assert.ok(largest <= DEFAULT_OFFLOAD_BYTES, `a ${largest}-byte payload is in history`);
    const { n } = (await tp.platform.db('payload_blobs').count({ n: '*' }).first()) as { n: number | string };
    assert.ok(Number(n) >= 4, `${n} payloads stored`);
  });
});
