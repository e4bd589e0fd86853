import assert from 'node:assert/strict';
import { type ValidationIssue, type ValidationResult, validateFlow } from '../../src/nodes/validate-flow';

type Node = Record<string, unknown>;
type Edge = Record<string, unknown>;

const start = (id = 'start'): Node => ({ id, type: 'start', data: {} });
const noop = (id: string, data: Node = {}, extra: Node = {}): Node => ({ id, type: 'noop', data, ...extra });
const edge = (source: string, target: string, source_handle?: string): Edge =>
  source_handle === undefined ? { source, target } : { source, target, source_handle };

/** `path code` of each issue, sorted. */
function located(issues: ValidationIssue[]): string[] {
  return issues.map((i) => `${i.path} ${i.code}`).sort();
}

function errorsOf(nodes: unknown[], edges: unknown[] = []): string[] {
  return located(validateFlow({ nodes, edges }).errors);
}

function warningsOf(nodes: unknown[], edges: unknown[] = []): string[] {
  return located(validateFlow({ nodes, edges }).warnings);
}

function only(result: ValidationResult, code: string): ValidationIssue[] {
  return [...result.errors, ...result.warnings].filter((i) => i.code === code);
}

describe('validateFlow', () => {
  it('accepts a well-formed flow with branches, a join and error routing', () => {
    const result = validateFlow({
      nodes: [
        start(),
        noop('fetch', { value: '{{ input.url }}' }, { on_error: 'route', retry: { max_attempts: 5 }, timeout_ms: 1000, label: 'Fetch', position: { x: 1, y: 2 } }),
        { id: 'check', type: 'condition', data: { expression: 'fetch.result = "ok"' } },
        noop('yes', { value: '{{ fetch.result }}' }),
        noop('no'),
        { id: 'join', type: 'end', data: { output: { a: '{{ yes.result }}', b: '{{ vars.x }}' } } },
        noop('handle_error', { value: '{{ fetch.error }}' }),
      ],
      edges: [
        edge('start', 'fetch'),
        edge('fetch', 'check'),
        edge('fetch', 'handle_error', 'error'),
        edge('check', 'yes', 'true'),
        edge('check', 'no', 'false'),
        edge('yes', 'join'),
        edge('no', 'join'),
      ],
    });
    assert.deepEqual(result, { valid: true, errors: [], warnings: [] });
  });

  describe('errors', () => {
    it('reports malformed flows', () => {
      assert.deepEqual(located(validateFlow(null).errors), [' INVALID_FLOW']);
      assert.deepEqual(located(validateFlow({}).errors), ['nodes INVALID_NODES']);
      assert.deepEqual(located(validateFlow({ nodes: {}, edges: 'x' }).errors), ['edges INVALID_EDGES', 'nodes INVALID_NODES']);
      assert.deepEqual(errorsOf([null, start()], [7]), ['edges[0] INVALID_EDGE', 'nodes[0] INVALID_NODE']);
    });

    it('checks node id format and uniqueness', () => {
      assert.deepEqual(
        errorsOf([start(), noop('has space'), noop('x'.repeat(65)), { type: 'noop' }, noop('ok'), noop('ok'), noop('a-b_C9')], [edge('start', 'ok')]),
        ['nodes[1].id INVALID_NODE_ID', 'nodes[2].id INVALID_NODE_ID', 'nodes[3].id INVALID_NODE_ID', 'nodes[5].id DUPLICATE_NODE_ID'],
      );
    });

    it('refuses ids that would reach Object.prototype, in loop bodies too', () => {
      const loop = (id: string, body: unknown[]): Node => ({ id, type: 'loop', data: { items: '{{ input.list }}', body: { nodes: body, edges: [] } } });
      assert.deepEqual(
        errorsOf(
          [start(), noop('__proto__'), noop('constructor'), noop('prototype'), loop('each', [noop('__proto__'), noop('fine')])],
          [edge('start', '__proto__'), edge('start', 'each')],
        ),
        [
          'edges[0].target UNKNOWN_EDGE_TARGET',
          'nodes[1].id RESERVED_NODE_ID',
          'nodes[2].id RESERVED_NODE_ID',
          'nodes[3].id RESERVED_NODE_ID',
          'nodes[4].data.body.nodes[0].id RESERVED_NODE_ID',
        ],
      );
      // Only exact names: ids that merely contain them are fine.
      assert.deepEqual(errorsOf([start(), noop('my_constructor'), noop('__proto__x'), noop('Prototype')]), []);
    });

    it('checks the type is known, resolving aliases', () => {
      assert.deepEqual(errorsOf([start(), { id: 'a', type: 'mystery' }, { id: 'b' }, { id: 'c', type: 'no_op' }]), [
        'nodes[1].type UNKNOWN_NODE_TYPE',
        'nodes[2].type INVALID_NODE_TYPE',
      ]);
    });

    it("checks data against the type's schema, with the path of each field", () => {
      assert.deepEqual(
        errorsOf([
          { id: 'a', type: 'condition', data: { expresion: 'x' } },
          { id: 'b', type: 'switch', data: { cases: [{ name: 'x', expression: 'a' }, { name: 'x', expression: 'b' }] } },
          { id: 'c', type: 'noop', data: 'text' },
          { id: 'd', type: 'delay', data: { duration_ms: -1 } },
          { id: 'e', type: 'terminate', data: {} },
        ]),
        [
          'nodes[0].data.expresion INVALID_NODE_DATA',
          'nodes[0].data.expression INVALID_NODE_DATA',
          'nodes[1].data.cases[1].name INVALID_NODE_DATA',
          'nodes[2].data INVALID_NODE_DATA',
          'nodes[3].data.duration_ms INVALID_NODE_DATA',
          'nodes[4].data.status INVALID_NODE_DATA',
        ],
      );
    });

    it('checks retry, timeout_ms, on_error, label and position', () => {
      assert.deepEqual(
        errorsOf([
          noop('a', {}, { retry: { max_attempts: 0, initial_interval_ms: 100, max_interval_ms: 10, backof: 2 } }),
          noop('b', {}, { timeout_ms: -5, on_error: 'ignore', label: 7, position: { x: 'left' } }),
          noop('c', {}, { retry: 3 }),
        ]),
        [
          'nodes[0].retry.backof INVALID_NODE_SETTING',
          'nodes[0].retry.max_attempts INVALID_NODE_SETTING',
          'nodes[0].retry.max_interval_ms INVALID_NODE_SETTING',
          'nodes[1].label INVALID_NODE_SETTING',
          'nodes[1].on_error INVALID_NODE_SETTING',
          'nodes[1].position.x INVALID_NODE_SETTING',
          'nodes[1].position.y INVALID_NODE_SETTING',
          'nodes[1].timeout_ms INVALID_NODE_SETTING',
          'nodes[2].retry INVALID_NODE_SETTING',
        ],
      );
      const crossField = validateFlow({ nodes: [noop('a', {}, { retry: { initial_interval_ms: 100, max_interval_ms: 10 } })], edges: [] });
      assert.deepEqual(located(crossField.errors), ['nodes[0].retry.max_interval_ms INVALID_NODE_SETTING']);
    });

    it('checks edges connect existing nodes', () => {
      assert.deepEqual(errorsOf([start(), noop('a')], [edge('start', 'a'), edge('ghost', 'a'), edge('a', 'nowhere'), { target: 'a' }]), [
        'edges[1].source UNKNOWN_EDGE_SOURCE',
        'edges[2].target UNKNOWN_EDGE_TARGET',
        'edges[3].source INVALID_EDGE',
      ]);
    });

    it("checks source_handle is a port of the source node, and error only with on_error 'route'", () => {
      const nodes = [
        start(),
        { id: 'check', type: 'condition', data: { expression: 'true' } },
        noop('a'),
        noop('b', {}, { on_error: 'route' }),
        noop('c'),
        { id: 'gate', type: 'approval', data: {} },
      ];
      assert.deepEqual(
        errorsOf(nodes, [
          edge('start', 'check'),
          edge('check', 'a', 'yes'),
          edge('check', 'c'),
          edge('a', 'b', 'true'),
          edge('a', 'c', 'error'),
          edge('b', 'c', 'error'),
          edge('start', 'gate'),
          edge('gate', 'c', 'approved'),
          edge('gate', 'a', 'timeout'),
          { source: 'start', target: 'a', source_handle: 5 },
        ]),
        [
          'edges[1].source_handle INVALID_SOURCE_HANDLE',
          'edges[2].source_handle INVALID_SOURCE_HANDLE',
          'edges[3].source_handle INVALID_SOURCE_HANDLE',
          'edges[4].source_handle INVALID_SOURCE_HANDLE',
          'edges[9].source_handle INVALID_SOURCE_HANDLE',
        ],
      );
    });

    it('accepts switch case names as ports', () => {
      const sw = { id: 'sw', type: 'switch', data: { cases: [{ name: 'big', expression: 'input.n > 5' }] } };
      assert.deepEqual(errorsOf([start(), sw, noop('a'), noop('b')], [edge('start', 'sw'), edge('sw', 'a', 'big'), edge('sw', 'b', 'default')]), []);
      assert.deepEqual(errorsOf([start(), sw, noop('a')], [edge('start', 'sw'), edge('sw', 'a', 'small')]), ['edges[1].source_handle INVALID_SOURCE_HANDLE']);
    });

    it('rejects edges out of nodes without outputs and into start nodes', () => {
      assert.deepEqual(
        errorsOf(
          [start(), { id: 'end', type: 'end', data: {} }, noop('a'), { id: 'stop', type: 'terminate', data: { status: 'failed' } }, noop('b')],
          [edge('start', 'end'), edge('end', 'a'), edge('b', 'start'), edge('start', 'stop'), edge('stop', 'a')],
        ),
        ['edges[1].source INVALID_EDGE_SOURCE', 'edges[2].target INVALID_EDGE_TARGET', 'edges[4].source INVALID_EDGE_SOURCE'],
      );
    });

    it('reports duplicate edges and edge ids', () => {
      assert.deepEqual(
        errorsOf([start(), noop('a'), noop('b')], [
          { id: 'e1', source: 'start', target: 'a' },
          { id: 'e2', source: 'start', target: 'a', source_handle: 'default' },
          { id: 'e1', source: 'a', target: 'b' },
        ]),
        ['edges[1] DUPLICATE_EDGE', 'edges[2].id DUPLICATE_EDGE_ID'],
      );
    });

    it("reports cycles with their nodes' ids", () => {
      const result = validateFlow({
        nodes: [start(), noop('a'), noop('b'), noop('c'), noop('self')],
        edges: [edge('start', 'a'), edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('start', 'self'), edge('self', 'self')],
      });
      assert.deepEqual(located(result.errors), ['edges[3] CYCLE', 'edges[5] CYCLE']);
      assert.match(result.errors[0].message, /a → b → c → a/);
      assert.match(result.errors[1].message, /self → self/);
    });

    it('needs an entry node', () => {
      assert.deepEqual(errorsOf([noop('a'), noop('b')], [edge('a', 'b'), edge('b', 'a')]), ['edges[1] CYCLE', 'nodes NO_ENTRY_NODE']);
    });

    it('checks template syntax in every string of data and expression syntax in expression fields', () => {
      assert.deepEqual(
        errorsOf([
          start(),
          noop('a', { value: { deep: ['fine {{ input.x }}', 'broken {{ input. }}'] } }),
          { id: 'b', type: 'condition', data: { expression: 'input.x = ' } },
          { id: 'c', type: 'switch', data: { cases: [{ name: 'ok', expression: 'input.y > 1' }, { name: 'bad', expression: '(((' }] } },
          { id: 'd', type: 'end', data: { output: 'unclosed {{ input.x' } },
          { id: 'e', type: 'transform', data: { expression: '{ "a": input.x }' } },
        ]),
        [
          'nodes[1].data.value.deep[1] INVALID_TEMPLATE',
          'nodes[2].data.expression INVALID_EXPRESSION',
          'nodes[3].data.cases[1].expression INVALID_EXPRESSION',
          'nodes[4].data.output INVALID_TEMPLATE',
        ],
      );
    });

    it('tells when an expression field is written as a template', () => {
      const result = validateFlow({ nodes: [{ id: 'c', type: 'condition', data: { expression: '{{ input.ok }}' } }], edges: [] });
      assert.deepEqual(located(result.errors), ['nodes[0].data.expression INVALID_EXPRESSION']);
      assert.match(result.errors[0].message, /bare JSONata: write `input.ok`/);
    });

    it("does not read a start node's input_schema as templates", () => {
      const schema = { type: 'object', properties: { code: { type: 'string', pattern: '^{{x' } } };
      assert.deepEqual(errorsOf([{ id: 's', type: 'start', data: { input_schema: schema } }]), []);
    });

    it('checks sub-flow ids against the known flows when given', () => {
      const known = '6f1c2a9e-3b7d-4c1a-9f0e-2d5b8c7a6e41';
      const other = '00000000-0000-4000-8000-000000000000';
      const nodes = [
        { id: 'a', type: 'sub-flow', data: { workflow_id: known } },
        { id: 'b', type: 'sub-flow', data: { workflow_id: other } },
        { id: 'c', type: 'sub-flow', data: { workflow_id: '{{ input.flow }}' } },
      ];
      assert.deepEqual(located(validateFlow({ nodes, edges: [] }, { knownFlowIds: [known] }).errors), ['nodes[1].data.workflow_id UNKNOWN_FLOW']);
      assert.deepEqual(located(validateFlow({ nodes, edges: [] }).errors), []);
    });

    describe('loop bodies', () => {
      const loop = (body: unknown, id = 'loop'): Node => ({ id, type: 'loop', data: { items: '{{ input.items }}', body } });

      it('validates a loop body recursively, with paths inside the body', () => {
        const result = validateFlow({
          nodes: [
            start(),
            noop('outer'),
            loop({
              nodes: [noop('x', { value: '{{ item.name }} {{ outer.result }} {{ index }}' }), { id: 'y', type: 'mystery' }, noop('z'), noop('w'), noop('outer')],
              edges: [edge('x', 'z'), edge('z', 'ghost'), edge('x', 'z', 'bogus'), edge('x', 'w'), edge('w', 'x'), edge('outer', 'x')],
            }),
          ],
          edges: [edge('start', 'outer'), edge('outer', 'loop')],
        });
        assert.deepEqual(located(result.errors), [
          'nodes[2].data.body.edges[1].target UNKNOWN_EDGE_TARGET',
          'nodes[2].data.body.edges[2].source_handle INVALID_SOURCE_HANDLE',
          'nodes[2].data.body.edges[4] CYCLE',
          'nodes[2].data.body.edges[5].source UNKNOWN_EDGE_SOURCE',
          'nodes[2].data.body.nodes[1].type UNKNOWN_NODE_TYPE',
          'nodes[2].data.body.nodes[4].id DUPLICATE_NODE_ID',
        ]);
        assert.deepEqual(only(result, 'UNKNOWN_REFERENCE'), []);
      });

      it('rejects edges that cross the body boundary and empty bodies', () => {
        const result = validateFlow({
          nodes: [start(), loop({ nodes: [noop('inner')], edges: [edge('start', 'inner')] }), loop({ nodes: [] }, 'empty')],
          edges: [edge('start', 'loop'), edge('loop', 'inner'), edge('start', 'empty')],
        });
        assert.deepEqual(located(result.errors), [
          'edges[1].target UNKNOWN_EDGE_TARGET',
          'nodes[1].data.body.edges[0].source UNKNOWN_EDGE_SOURCE',
          'nodes[2].data.body.nodes EMPTY_LOOP_BODY',
        ]);
        assert.match(result.errors.find((e) => e.path === 'edges[1].target')!.message, /loop body/);
      });

      it('validates nested loops', () => {
        const inner = loop({ nodes: [noop('deep', { value: '{{ bad. }}' })] }, 'inner');
        const result = validateFlow({ nodes: [loop({ nodes: [inner] })], edges: [] });
        assert.deepEqual(located(result.errors), ['nodes[0].data.body.nodes[0].data.body.nodes[0].data.value INVALID_TEMPLATE']);
      });

      it("reports the loop's own data problems without walking a malformed body", () => {
        const result = validateFlow({ nodes: [{ id: 'l', type: 'loop', data: { items: 'input.items', body: { nodes: 'x' } } }], edges: [] });
        assert.deepEqual(located(result.errors), ['nodes[0].data.body.nodes INVALID_NODE_DATA', 'nodes[0].data.items INVALID_NODE_DATA']);
      });
    });

    it('reports every problem at once', () => {
      const result = validateFlow({
        nodes: [
          start(),
          noop('bad id'),
          { id: 'c', type: 'condition', data: {} },
          { id: 'x', type: 'nope' },
          noop('t', { value: '{{ ) }}' }, { timeout_ms: 0 }),
          noop('t'),
        ],
        edges: [edge('start', 'c'), edge('c', 'missing', 'true'), edge('c', 't', 'maybe'), edge('t', 'start')],
      });
      assert.equal(result.valid, false);
      assert.deepEqual(located(result.errors), [
        'edges[1].target UNKNOWN_EDGE_TARGET',
        'edges[2].source_handle INVALID_SOURCE_HANDLE',
        'edges[3] CYCLE',
        'edges[3].target INVALID_EDGE_TARGET',
        'nodes[1].id INVALID_NODE_ID',
        'nodes[2].data.expression INVALID_NODE_DATA',
        'nodes[3].type UNKNOWN_NODE_TYPE',
        'nodes[4].data.value INVALID_TEMPLATE',
        'nodes[4].timeout_ms INVALID_NODE_SETTING',
        'nodes[5].id DUPLICATE_NODE_ID',
      ]);
      for (const e of result.errors) assert.ok(e.message.length > 0);
    });
  });

  describe('warnings', () => {
    it('warns about nodes not reachable from a start node', () => {
      assert.deepEqual(warningsOf([start(), noop('a'), noop('lonely'), noop('after')], [edge('start', 'a'), edge('lonely', 'after')]), [
        'nodes[2] UNREACHABLE_NODE',
        'nodes[3] UNREACHABLE_NODE',
      ]);
    });

    it('does not warn about entry nodes when the flow has no start node', () => {
      assert.deepEqual(warningsOf([noop('a'), noop('b'), noop('c')], [edge('a', 'c'), edge('b', 'c')]), []);
    });

    it('warns about template references to unknown nodes', () => {
      const result = validateFlow({
        nodes: [
          start(),
          noop('a', { value: '{{ ghost.result }} {{ input.x }} {{ trigger.data }} {{ execution.id }} {{ vars.v }} {{ start.result }}' }),
          { id: 'b', type: 'condition', data: { expression: 'phantom.result > 1 and a.result' } },
        ],
        edges: [edge('start', 'a'), edge('a', 'b')],
      });
      assert.deepEqual(located(result.warnings), ['nodes[1].data.value UNKNOWN_REFERENCE', 'nodes[2].data.expression UNKNOWN_REFERENCE']);
      assert.match(result.warnings[0].message, /ghost/);
      assert.match(result.warnings[1].message, /phantom/);
    });

    it('reads hyphenated node ids in templates and expressions as one name', () => {
      const result = validateFlow({
        nodes: [
          start('start-1'),
          noop('llm-1', { value: '{{ start-1.result }}' }),
          { id: 'check-2', type: 'condition', data: { expression: 'llm-1.result = "x"' } },
          noop('fetch-data', { value: '{{ check-2.result }}' }),
          noop('typo', { value: '{{ fetch-dta.result }}' }),
        ],
        edges: [edge('start-1', 'llm-1'), edge('llm-1', 'check-2'), edge('check-2', 'fetch-data', 'true'), edge('fetch-data', 'typo')],
      });
      assert.deepEqual(located(result.warnings), ['nodes[4].data.value UNKNOWN_REFERENCE']);
      assert.match(result.warnings[0].message, /"fetch-dta"/);
    });

    it('warns when a flow refers to a node inside a loop body', () => {
      const result = validateFlow({
        nodes: [
          start(),
          { id: 'loop', type: 'loop', data: { items: '{{ input.items }}', body: { nodes: [noop('inner')] } } },
          noop('after', { value: '{{ inner.result }}' }),
        ],
        edges: [edge('start', 'loop'), edge('loop', 'after')],
      });
      assert.deepEqual(located(result.warnings), ['nodes[2].data.value UNKNOWN_REFERENCE']);
      assert.match(result.warnings[0].message, /loop body/);
    });

    it('warns about unconnected switch and approval ports', () => {
      const sw = { id: 'sw', type: 'switch', data: { cases: [{ name: 'a', expression: 'input.a' }, { name: 'b', expression: 'input.b' }] } };
      const gate = { id: 'gate', type: 'approval', data: { timeout_ms: 1000 } };
      const gate2 = { id: 'gate2', type: 'approval', data: { timeout_ms: 1000, default_outcome: 'rejected' } };
      const result = validateFlow({
        nodes: [start(), sw, gate, gate2, noop('x')],
        edges: [edge('start', 'sw'), edge('sw', 'gate', 'a'), edge('gate', 'gate2', 'approved'), edge('gate2', 'x', 'approved'), edge('gate2', 'x', 'rejected')],
      });
      assert.deepEqual(located(result.errors), []);
      assert.deepEqual(
        result.warnings.map((w) => `${w.path} ${w.code} ${/"(\w+)"/.exec(w.message)![1]}`),
        ['nodes[1] UNCONNECTED_PORT b', 'nodes[1] UNCONNECTED_PORT default', 'nodes[2] UNCONNECTED_PORT rejected', 'nodes[2] UNCONNECTED_PORT timeout'],
      );
    });

    it('warns about unknown node and edge fields but not editor ones', () => {
      assert.deepEqual(
        warningsOf([{ ...start(), selected: true, retries: 3 }, { ...noop('a'), width: 100 }], [{ ...edge('start', 'a'), animated: true, weight: 2 }]),
        ['edges[0].weight UNKNOWN_FIELD', 'nodes[0].retries UNKNOWN_FIELD'],
      );
    });

    it('warns about empty flows and several start nodes', () => {
      assert.deepEqual(located(validateFlow({ nodes: [], edges: [] }).warnings), ['nodes EMPTY_FLOW']);
      assert.equal(validateFlow({ nodes: [], edges: [] }).valid, true);
      assert.deepEqual(warningsOf([start('s1'), start('s2')]), ['nodes[1] MULTIPLE_START_NODES']);
    });
  });

  describe('scale', () => {
    it('validates a 10,000-node chain without overflowing the stack', () => {
      const nodes: Node[] = [start()];
      const edges: Edge[] = [];
      for (let i = 0; i < 10_000; i++) {
        nodes.push(noop(`n${i}`, { value: `{{ ${i === 0 ? 'start' : `n${i - 1}`}.result }}` }));
        edges.push(edge(i === 0 ? 'start' : `n${i - 1}`, `n${i}`));
      }
      const result = validateFlow({ nodes, edges });
      assert.deepEqual(result, { valid: true, errors: [], warnings: [] });
    });

    it('reports a 10,000-node cycle once, naming its first nodes', () => {
      const nodes: Node[] = [start()];
      const edges: Edge[] = [edge('start', 'n0')];
      for (let i = 0; i < 10_000; i++) {
        nodes.push(noop(`n${i}`));
        edges.push(edge(`n${i}`, `n${(i + 1) % 10_000}`));
      }
      const cycles = only(validateFlow({ nodes, edges }), 'CYCLE');
      assert.equal(cycles.length, 1);
      assert.match(cycles[0].message, /^Cycle n0 → n1 → n2 → .* → … \(9950 more\) → n0:/);
    });
  });
});
