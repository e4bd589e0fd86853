/**
 * One meaning per name, everywhere: `input` is the run's input in templates, expressions and code;
 * `prev` is the upstream output in all three; `trigger.data` is the event or webhook body, or else
 * the run's input.
 */
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

describe('names in expressions and code', function () {
  this.timeout(60_000);
  let tp: TestPlatform;
  let token: string;
  const api = (method: string, p: string, body?: unknown) => tp.api(method, `/api/v1${p}`, body, token);
  const run = async (flow: unknown, input_data: unknown) => {
    const created = await api('POST', '/workflows', flow);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const r = await api('POST', `/workflows/${created.body.id}/execute`, { input_data, wait: true, timeout_ms: 20_000 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'completed', JSON.stringify(r.body.error));
    return r.body.output_data;
  };

  before(async () => {
    tp = await startTestPlatform();
    token = (await tp.login()).token;
  });
  after(() => tp?.stop());

  it('gives a code node the run\'s input as `input`', async () => {
    const out = await run(
      {
        name: 'sum',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'sum', type: 'code', data: { code: 'return input.xs.reduce((a, b) => a + b, 0)' } },
          { id: 'end', type: 'end', data: { output: '{{ sum.result }}' } },
        ],
        edges: [
          { source: 'start', target: 'sum' },
          { source: 'sum', target: 'end' },
        ],
      },
      { xs: [1, 2, 3] },
    );
    assert.equal(out, 6);
  });

  it('names the upstream output `prev` in templates, expressions and code alike', async () => {
    const out = await run(
      {
        name: 'prev',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'fetch', type: 'noop', data: { value: { items: [4, 5] } } },
          { id: 'count', type: 'transform', data: { expression: '$count(prev.result.items)' } },
          { id: 'label', type: 'noop', data: { value: '{{ prev.result }} items for {{ input.who }}' } },
          { id: 'shout', type: 'code', data: { code: 'return prev.result.toUpperCase() + "!" + input.who' } },
          { id: 'end', type: 'end', data: { output: { text: '{{ prev.result }}', count: '{{ count.result }}' } } },
        ],
        edges: [
          { source: 'start', target: 'fetch' },
          { source: 'fetch', target: 'count' },
          { source: 'count', target: 'label' },
          { source: 'label', target: 'shout' },
          { source: 'shout', target: 'end' },
        ],
      },
      { who: 'ada' },
    );
    assert.deepEqual(out, { text: '2 ITEMS FOR ADA!ada', count: 2 });
  });

  it('gives several parents\' outputs to `prev` by node id', async () => {
    const out = await run(
      {
        name: 'join',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'a', type: 'noop', data: { value: 1 } },
          { id: 'b', type: 'noop', data: { value: 2 } },
          { id: 'both', type: 'transform', data: { expression: 'prev.a.result + prev.b.result' } },
        ],
        edges: [
          { source: 'start', target: 'a' },
          { source: 'start', target: 'b' },
          { source: 'a', target: 'both' },
          { source: 'b', target: 'both' },
        ],
      },
      {},
    );
    assert.equal(out, 3);
  });

  it('reads a manual run\'s input as trigger.data, as seed 002 writes it', async () => {
    const out = await run(
      {
        name: 'trigger data',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'end', type: 'end', data: { output: '{{trigger.data.device}} via {{ trigger.type }}' } },
        ],
        edges: [{ source: 'start', target: 'end' }],
      },
      { device: 'pump-7' },
    );
    assert.equal(out, 'pump-7 via manual');
  });
});
