import assert from 'node:assert/strict';
import { normalizeFlow } from '../../src/nodes/normalize-flow';
import { rewriteSeedSyntax } from '../../src/nodes/seed-syntax';
import { validateFlow } from '../../src/nodes/validate-flow';

/** Rewrites a flow made of `nodes` (after start) and returns the rewritten data per node id, and the rewrites. */
function rewrite(nodes: Record<string, unknown>[]) {
  const graph = normalizeFlow({
    nodes: [{ id: 'start', type: 'start' }, ...nodes],
    edges: nodes.map((n, i) => ({ source: i === 0 ? 'start' : String(nodes[i - 1].id), target: String(n.id) })),
  });
  const { graph: out, rewrites } = rewriteSeedSyntax(graph);
  const data = Object.fromEntries(out.nodes.map((n) => [n.id, n.data]));
  return { data, rewrites, graph: out, original: graph };
}

describe('seed 001 placeholder syntax', () => {
  it('turns {name} in templates into {{ }}: context names and node ids as written, other names from the input', () => {
    const { data, rewrites } = rewrite([
      { id: 'llm-1', type: 'llm', data: { prompt: '请总结以下文本:{input}' } },
      { id: 'note', type: 'noop', data: { value: { a: 'Dear {name}, see {llm-1.result} and {prev.result} ({items[0].id})' } } },
    ]);
    assert.equal(data['llm-1'].prompt, '请总结以下文本:{{ input }}');
    assert.equal(
      (data.note.value as any).a,
      'Dear {{ input.name }}, see {{ llm-1.result }} and {{ prev.result }} ({{ input.items[0].id }})',
    );
    assert.deepEqual(
      rewrites.map((r) => [r.path, r.code, r.before, r.after]),
      [
        ['nodes[1].data.prompt', 'SEED_PLACEHOLDER_REWRITTEN', '请总结以下文本:{input}', '请总结以下文本:{{ input }}'],
        [
          'nodes[2].data.value.a',
          'SEED_PLACEHOLDER_REWRITTEN',
          'Dear {name}, see {llm-1.result} and {prev.result} ({items[0].id})',
          'Dear {{ input.name }}, see {{ llm-1.result }} and {{ prev.result }} ({{ input.items[0].id }})',
        ],
      ],
    );
    assert.match(rewrites[0].message, /Rewrote "请总结以下文本:\{input\}" as "请总结以下文本:\{\{ input \}\}"/);
  });

  it('turns {name} in expression fields into bare paths, outside string literals', () => {
    const { data, rewrites } = rewrite([
      { id: 'check', type: 'condition', data: { expression: '{value} > 10 and "{value}" != \'{x}\'' } },
      { id: 'route', type: 'switch', data: { cases: [{ name: 'big', expression: '{amount} >= 100' }] } },
      { id: 'calc', type: 'transform', data: { expression: '{check.result} ? {input.a} : 0' } },
    ]);
    assert.equal(data.check.expression, 'input.value > 10 and "{value}" != \'{x}\'');
    assert.deepEqual(data.route.cases, [{ name: 'big', expression: 'input.amount >= 100' }]);
    assert.equal(data.calc.expression, 'check.result ? input.a : 0');
    assert.deepEqual(
      rewrites.map((r) => r.path),
      ['nodes[1].data.expression', 'nodes[2].data.cases[0].expression', 'nodes[3].data.expression'],
    );
    assert.match(rewrites[0].message, /expression fields are bare JSONata/);
  });

  it('leaves {{ }} templates, JSON text, JSONata object constructors and anything but a name path alone', () => {
    const untouched = [
      { id: 'a', type: 'noop', data: { value: '{{ input.x }} and {{ {"k": input.y} }}' } },
      { id: 'b', type: 'noop', data: { value: '{"a": 1, "b": "{input}"}' } },
      { id: 'c', type: 'noop', data: { value: '[{"id": 1}]' } },
      { id: 'd', type: 'transform', data: { expression: '{"a": 1, "b": input.x}' } },
      { id: 'e', type: 'transform', data: { expression: 'Account.Order{OrderID: Price}' } },
      { id: 'f', type: 'noop', data: { value: 'css p {color: red} { spaced } {} ${x} {1} {a b}' } },
      { id: 'g', type: 'code', data: { code: 'return `${input.x}` + "{input}"' } },
      { id: 'h', type: 'noop', data: { value: 'minus {a-b} is not a node' } },
    ];
    const { graph, original, rewrites } = rewrite(untouched);
    assert.deepEqual(rewrites, []);
    assert.deepEqual(graph, original);
  });

  it('keeps an enclosing loop\u2019s item_variable, and maps items_path to items', () => {
    const { data, rewrites, graph } = rewrite([
      {
        id: 'each',
        type: 'loop',
        data: {
          items_path: 'devices',
          item_variable: 'device',
          error_handling: 'continue',
          body: { nodes: [{ id: 'say', type: 'noop', data: { value: '{device.name} of {owner}' } }], edges: [] },
        },
      },
      { id: 'plain', type: 'loop', data: { items_path: 'each.result', item_variable: 'item', error_handling: 'continue' } },
    ]);
    assert.equal(data.each.items, '{{ input.devices }}');
    assert.equal(data.each.items_path, undefined);
    assert.equal((data.each.body as any).nodes[0].data.value, '{{ device.name }} of {{ input.owner }}');
    assert.equal(data.plain.items, '{{ each.result }}');
    assert.deepEqual(
      rewrites.map((r) => [r.path, r.code, r.before, r.after]),
      [
        ['nodes[1].data.items_path', 'SEED_LOOP_FIELD_MAPPED', 'devices', '{{ input.devices }}'],
        ['nodes[1].data.body.nodes[0].data.value', 'SEED_PLACEHOLDER_REWRITTEN', '{device.name} of {owner}', '{{ device.name }} of {{ input.owner }}'],
        ['nodes[2].data.items_path', 'SEED_LOOP_FIELD_MAPPED', 'each.result', '{{ each.result }}'],
        ['nodes[2].data', 'LOOP_WITHOUT_BODY', undefined, undefined],
      ],
    );
    // The result is a valid flow whose body may read the item variable.
    const result = validateFlow(graph);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.warnings.filter((w) => w.code === 'UNKNOWN_REFERENCE'), []);
  });

  it('is idempotent and leaves the flow it was given unchanged', () => {
    const { graph, original } = rewrite([{ id: 'llm-1', type: 'llm', data: { prompt: 'Q: {question}' } }]);
    assert.equal((original.nodes[1].data as any).prompt, 'Q: {question}');
    const again = rewriteSeedSyntax(graph);
    assert.deepEqual(again.rewrites, []);
    assert.deepEqual(again.graph, graph);
  });
});
