import assert from 'node:assert/strict';
import { normalizeFlow } from '../../src/nodes/normalize-flow';
import { validateFlow } from '../../src/nodes/validate-flow';
import { startTestEngine, type TestEngine } from '../helpers/engine';

describe('output node', function () {
  this.timeout(60_000);
  let engine: TestEngine;
  before(async () => {
    engine = await startTestEngine();
  });
  after(async () => engine?.stop());

  const fetch = { id: 'fetch', type: 'noop', data: { value: { items: [1, 2, 3], source: 'api' } } };

  it("shapes the run's result: an end without output after it ends with the shaped value itself (seed 001: output → end)", async () => {
    const graph = {
      nodes: [
        { id: 'start', type: 'start' },
        fetch,
        { id: 'out', type: 'output', data: { output: { count: '{{ $count(fetch.result.items) }}', from: '{{ fetch.result.source }}' } } },
        { id: 'end', type: 'end' },
      ],
      edges: [
        { source: 'start', target: 'fetch' },
        { source: 'fetch', target: 'out' },
        { source: 'out', target: 'end' },
      ],
    };
    assert.deepEqual(validateFlow(normalizeFlow(graph)).errors, []);
    const res = await engine.run(graph, {});
    assert.equal(res.status, 'completed');
    assert.deepEqual(res.output, { count: 3, from: 'api' });
  });

  it('without output passes on the upstream result; as the last node it is the run result', async () => {
    const res = await engine.run(
      {
        nodes: [{ id: 'start', type: 'start' }, fetch, { id: 'out', type: 'output' }],
        edges: [
          { source: 'start', target: 'fetch' },
          { source: 'fetch', target: 'out' },
        ],
      },
      {},
    );
    assert.deepEqual(res.output, { items: [1, 2, 3], source: 'api' });
  });

  it('after several branches collects their results by node id; an end with its own output still decides', async () => {
    const res = await engine.run(
      {
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'a', type: 'noop', data: { value: 1 } },
          { id: 'b', type: 'noop', data: { value: 2 } },
          { id: 'out', type: 'output' },
          { id: 'end', type: 'end', data: { output: { wrapped: '{{ out.result }}' } } },
        ],
        edges: [
          { source: 'start', target: 'a' },
          { source: 'start', target: 'b' },
          { source: 'a', target: 'out' },
          { source: 'b', target: 'out' },
          { source: 'out', target: 'end' },
        ],
      },
      {},
    );
    assert.deepEqual(res.output, { wrapped: { a: 1, b: 2 } });
  });

  it('leaves an end after any other node as it was: it passes on the whole upstream output', async () => {
    const res = await engine.run(
      {
        nodes: [{ id: 'start', type: 'start' }, fetch, { id: 'end', type: 'end' }],
        edges: [
          { source: 'start', target: 'fetch' },
          { source: 'fetch', target: 'end' },
        ],
      },
      {},
    );
    assert.deepEqual(res.output, { result: { items: [1, 2, 3], source: 'api' } });
  });
});
