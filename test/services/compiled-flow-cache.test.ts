import assert from 'node:assert/strict';
import { createCompiledFlowCache } from '../../src/services/compiled-flow-cache';
import { FlowValidationError } from '../../src/nodes/validate-flow';

/** start → t1 … tN → end, transforms. */
function chain(n: number, expression = 'input.n + 1') {
  const nodes: { id: string; type: string; data?: Record<string, unknown> }[] = [{ id: 'start', type: 'start' }];
  const edges: { source: string; target: string }[] = [];
  let prev = 'start';
  for (let i = 1; i <= n; i++) {
    nodes.push({ id: `t${i}`, type: 'transform', data: { expression } });
    edges.push({ source: prev, target: `t${i}` });
    prev = `t${i}`;
  }
  return { nodes, edges };
}

describe('compiled flow cache', () => {
  it('compiles a graph once and gives every later run of the same graph that compiled form, frozen', () => {
    const cache = createCompiledFlowCache();
    const first = cache.compile(chain(3));
    // Another object with the same content (a flow row read again) hits the same entry.
    assert.equal(cache.compile(chain(3)), first);
    assert.equal(cache.size(), 1);
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first.nodes) && Object.isFrozen(first.nodes[0]));
    assert.throws(() => {
      (first as { nodes: unknown }).nodes = {};
    }, TypeError);
  });

  it('compiles an edited graph anew', () => {
    const cache = createCompiledFlowCache();
    const before = cache.compile(chain(3, 'input.n + 1'));
    const after = cache.compile(chain(3, 'input.n + 2'));
    assert.notEqual(after, before);
    assert.deepEqual(after.nodes.find((n) => n.id === 't1')?.data, { expression: 'input.n + 2' });
    assert.equal(cache.size(), 2);
  });

  it('never keeps an invalid graph: each call fails as compiling it does', () => {
    const cache = createCompiledFlowCache();
    const invalid = { nodes: [{ id: 'start', type: 'start' }], edges: [{ source: 'start', target: 'nowhere' }] };
    assert.throws(() => cache.compile(invalid), FlowValidationError);
    assert.throws(() => cache.compile(invalid), FlowValidationError);
    assert.equal(cache.size(), 0);
  });

  it('drops the least recently used entries past its entry and size limits', () => {
    const byCount = createCompiledFlowCache({ maxEntries: 2 });
    const a = byCount.compile(chain(1));
    byCount.compile(chain(2));
    byCount.compile(chain(1)); // a is now the most recently used
    byCount.compile(chain(3)); // evicts chain(2)
    assert.equal(byCount.size(), 2);
    assert.equal(byCount.compile(chain(1)), a, 'the recently used entry stayed');

    const size = JSON.stringify(chain(50)).length;
    const bySize = createCompiledFlowCache({ maxBytes: size * 2 + 10 });
    bySize.compile(chain(50));
    bySize.compile(chain(50, 'input.n + 2'));
    assert.equal(bySize.size(), 2);
    bySize.compile(chain(50, 'input.n + 3'));
    assert.equal(bySize.size(), 2, 'the oldest went to make room');
    const tooLarge = createCompiledFlowCache({ maxBytes: 10 });
    assert.ok(tooLarge.compile(chain(2)).nodes.some((n) => n.id === 't2'), 'a graph larger than the whole cache still compiles');
    assert.equal(tooLarge.size(), 0);
  });
});
