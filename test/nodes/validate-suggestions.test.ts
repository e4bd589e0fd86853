import assert from 'node:assert/strict';
import { validateFlow } from '../../src/nodes/validate-flow';

/** Every message of a flow's validation, errors and warnings, by path. */
function messages(graph: unknown): Record<string, string> {
  const r = validateFlow(graph);
  return Object.fromEntries([...r.errors, ...r.warnings].map((i) => [i.path, i.message]));
}

describe('validation suggests the name that was probably meant', () => {
  it('for a misspelled node type, data field, node field and node id', () => {
    const m = messages({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'fetch', type: 'http-request', data: { urll: 'https://example.test', methd: 'GET' } },
        { id: 'call', type: 'htttp-request', data: {} },
        { id: 'wait', type: 'delay', data: { duration_ms: 5 }, retyr: { max_attempts: 2 }, retry: { max_attempt: 2 } },
        { id: 'post', type: 'http-request', url: 'https://example.test', data: { url: 'https://example.test' } },
        { id: 'use', type: 'transform', data: { expression: 'fetc.result & inptu.x' } },
      ],
      edges: [
        { source: 'start', target: 'fetch' },
        { source: 'fetchh', target: 'wait' },
        { source: 'wait', target: 'psot' },
        { source: 'fetch', target: 'use' },
      ],
    });
    assert.match(m['nodes[1].data.urll'], /Unknown field "urll" \(did you mean "url"\?\)$/);
    assert.match(m['nodes[1].data.methd'], /Unknown field "methd" \(did you mean "method"\?\)$/);
    assert.match(m['nodes[2].type'], /\(did you mean "http-request"\?\)$/);
    assert.match(m['nodes[3].retyr'], /Unknown node field "retyr" is ignored \(did you mean "retry"\?\)$/);
    assert.match(m['nodes[3].retry.max_attempt'], /Unknown field "max_attempt" \(did you mean "max_attempts"\?\)$/);
    assert.match(m['nodes[4].url'], /Unknown node field "url" is ignored \(it belongs in data: data\.url\)$/);
    assert.match(m['edges[1].source'], /No node "fetchh" \(did you mean "fetch"\?\)$/);
    assert.match(m['edges[2].target'], /No node "psot" \(did you mean "post"\?\)$/);
    // One path, two unknown names: both are reported, each with its own suggestion.
    const use = validateFlow({ nodes: [{ id: 'fetch', type: 'noop' }, { id: 'use', type: 'transform', data: { expression: 'fetc.result & inptu.x' } }], edges: [{ source: 'fetch', target: 'use' }] });
    assert.deepEqual(
      use.warnings.map((w) => /did you mean "(\w+)"/.exec(w.message)?.[1]),
      ['fetch', 'input'],
    );
  });

  it('suggests nothing when no name is close', () => {
    const m = messages({ nodes: [{ id: 'a', type: 'frobnicate' }], edges: [{ source: 'a', target: 'zzz' }] });
    assert.equal(m['nodes[0].type'], 'Unknown node type "frobnicate"');
    assert.equal(m['edges[0].target'], 'No node "zzz"');
  });

  it('knows prev: reading the upstream output is no unknown reference', () => {
    const r = validateFlow({ nodes: [{ id: 'a', type: 'noop' }, { id: 'b', type: 'transform', data: { expression: 'prev.result' } }], edges: [{ source: 'a', target: 'b' }] });
    assert.deepEqual(r.warnings, []);
  });
});
