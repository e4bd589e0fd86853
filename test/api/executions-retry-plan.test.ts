import assert from 'node:assert/strict';
import { compileFlow } from '../../src/nodes/compile-flow';
import type { StepState } from '../../src/shared/flow';
import { nodeFingerprint, planRetry } from '../../src/services/retry-plan';

const step = (
  node_id: string,
  node_type: string,
  status: StepState['status'],
  extra: Partial<StepState> = {},
): StepState => ({
  node_id,
  node_type,
  status,
  attempt: status === 'pending' || status === 'skipped' ? 0 : 1,
  ...(status === 'completed' ? { output: { result: node_id }, port: 'default' } : {}),
  ...extra,
});

describe('retry plan (which steps a retried run keeps)', () => {
  const chain = compileFlow({
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'vars', type: 'set', data: { values: { region: 'eu' } } },
      { id: 'side', type: 'noop', data: { value: 'independent' } },
      { id: 'a', type: 'noop', data: { value: 1 } },
      { id: 'b', type: 'noop', data: { value: 2 } },
      { id: 'c', type: 'noop', data: { value: 3 } },
    ],
    edges: [
      { source: 'start', target: 'vars' },
      { source: 'start', target: 'side' },
      { source: 'vars', target: 'a' },
      { source: 'a', target: 'b' },
      { source: 'b', target: 'c' },
    ],
  });
  const earlier = [
    step('start', 'start', 'completed'),
    step('vars', 'set', 'completed', { output: { result: { region: 'eu' } } }),
    step('side', 'noop', 'completed'),
    step('a', 'noop', 'completed'),
    step('b', 'noop', 'failed', { error: { message: 'boom' } }),
    step('c', 'noop', 'pending'),
  ];

  it('keeps everything upstream of the failed node and independent branches, rebuilding vars', () => {
    const plan = planRetry(chain, earlier, 'b');
    assert.deepEqual(Object.keys(plan.carried.steps).sort(), ['a', 'side', 'start', 'vars']);
    assert.deepEqual(plan.rerun, ['b', 'c']);
    assert.deepEqual(plan.carried.vars, { region: 'eu' });
    assert.deepEqual(plan.carried.edge_state, {});
    assert.equal(plan.carried.steps.a, earlier[3]);
  });

  it('runs from_node and everything after it again, and nodes whose definition changed', () => {
    assert.deepEqual(planRetry(chain, earlier, 'a').rerun, ['a', 'b', 'c']);
    const changed = planRetry(chain, earlier, 'b', (id) => id !== 'vars');
    assert.deepEqual(changed.rerun, ['vars', 'a', 'b', 'c']);
    assert.deepEqual(changed.carried.vars, {});
    // Without any earlier steps nothing is kept.
    assert.equal(planRetry(chain, [], undefined).rerun.length, chain.nodes.length);
  });

  it('seeds a node reached only through untaken edges of kept nodes as skipped', () => {
    const branchy = compileFlow({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'check', type: 'condition', data: { expression: 'true' } },
        { id: 'yes', type: 'noop', data: {} },
        { id: 'no', type: 'noop', data: { value: 'changed in the new version' } },
        { id: 'after_no', type: 'noop', data: {} },
      ],
      edges: [
        { source: 'start', target: 'check' },
        { source: 'check', target: 'yes', source_handle: 'true' },
        { source: 'check', target: 'no', source_handle: 'false' },
        { source: 'no', target: 'after_no' },
      ],
    });
    const before = [
      step('start', 'start', 'completed'),
      step('check', 'condition', 'completed', { port: 'true' }),
      step('yes', 'noop', 'failed'),
      step('no', 'noop', 'skipped'),
      step('after_no', 'noop', 'skipped'),
    ];
    const plan = planRetry(branchy, before, 'yes', (id) => id !== 'no');
    assert.deepEqual(plan.rerun, ['yes']);
    assert.equal(plan.carried.steps.no.status, 'skipped');
    assert.equal(plan.carried.steps.after_no.status, 'skipped');
  });

  it('fingerprints what a node executes and where its input comes from, not its label', () => {
    const v1 = compileFlow({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'n', type: 'noop', label: 'old', data: { value: 1 } },
      ],
      edges: [{ source: 'start', target: 'n' }],
    });
    const relabelled = compileFlow({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'n', type: 'noop', label: 'new', data: { value: 1 }, position: { x: 5, y: 5 } },
      ],
      edges: [{ source: 'start', target: 'n' }],
    });
    const changed = compileFlow({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'n', type: 'noop', data: { value: 2 } },
      ],
      edges: [{ source: 'start', target: 'n' }],
    });
    const fp = (g: typeof v1) => nodeFingerprint(g.nodes[1], g);
    assert.equal(fp(v1), fp(relabelled));
    assert.notEqual(fp(v1), fp(changed));
  });
});
