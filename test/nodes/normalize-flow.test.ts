import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeFlow } from '../../src/nodes/normalize-flow';
import { getNodeDefinition } from '../../src/nodes/registry';
import { validateFlow } from '../../src/nodes/validate-flow';

function seed(name: string): unknown {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'seeds', name), 'utf8'));
}

/**
 * Validation errors, except "unknown type" for the seeds' core types whose definitions other
 * changes register (llm, email-send…): once those land, the seeds must validate with no errors.
 */
function errorsBesidesPendingTypes(graph: unknown) {
  const result = validateFlow(graph);
  return result.errors.filter((e) => !(e.code === 'UNKNOWN_NODE_TYPE' && getNodeDefinition(valueAt(graph, e.path)) === undefined));
}

function valueAt(graph: unknown, path: string): string {
  const match = /^nodes\[(\d+)\]\.type$/.exec(path);
  assert.ok(match, `unexpected error path ${path}`);
  return (graph as { nodes: { type: string }[] }).nodes[Number(match[1])].type;
}

describe('normalizeFlow', () => {
  it("normalises seed 001's example flow: data.label becomes the node label", () => {
    const flow = normalizeFlow(seed('001-text-processing.json'));
    assert.deepEqual(flow, {
      nodes: [
        { id: 'start-1', type: 'start', label: '开始', data: {}, position: { x: 0, y: 0 } },
        {
          id: 'llm-1',
          type: 'llm',
          label: 'LLM处理',
          data: { provider: 'deepseek', model: 'deepseek-chat', prompt: '请总结以下文本:{input}' },
          position: { x: 200, y: 0 },
        },
        { id: 'end-1', type: 'end', label: '结束', data: {}, position: { x: 400, y: 0 } },
      ],
      edges: [
        { id: 'e1', source: 'start-1', target: 'llm-1' },
        { id: 'e2', source: 'llm-1', target: 'end-1' },
      ],
    });
    assert.deepEqual(errorsBesidesPendingTypes(flow), []);
  });

  it("normalises seed 001's one-node flow into a valid flow", () => {
    const flow = normalizeFlow(seed('001-start-only.json'));
    assert.deepEqual(flow.nodes, [{ id: 'start-1', type: 'start', label: '开始', data: {}, position: { x: 0, y: 0 } }]);
    assert.deepEqual(validateFlow(flow), { valid: true, errors: [], warnings: [] });
  });

  it("normalises seed 002's example flow: config, from/to and type aliases", () => {
    const flow = normalizeFlow(seed('002-daily-inspection.json'));
    assert.deepEqual(flow, {
      nodes: [
        { id: 'fetch', type: 'tool-call', data: { tool: 'iot_get_all_devices', input: {} } },
        { id: 'analyze', type: 'llm', data: { prompt: '分析设备数据:{{fetch.result}}' } },
        { id: 'notify', type: 'email-send', data: { to: 'ops@example.com', subject: '巡检报告', body: '{{analyze.result}}' } },
      ],
      edges: [
        { source: 'fetch', target: 'analyze' },
        { source: 'analyze', target: 'notify' },
      ],
    });
    assert.deepEqual(errorsBesidesPendingTypes(flow), []);
    assert.deepEqual(
      validateFlow(flow).warnings.filter((w) => w.code === 'UNKNOWN_REFERENCE'),
      [],
      'fetch.result / analyze.result refer to nodes of the flow',
    );
  });

  it('maps condition, sourceHandle and boolean handles to source_handle', () => {
    const flow = normalizeFlow({
      nodes: [],
      edges: [
        { from: 'a', to: 'b', condition: 'true' },
        { source: 'a', target: 'c', sourceHandle: 'false' },
        { source: 'a', target: 'd', condition: false },
        { source: 'a', target: 'e', source_handle: null },
        { source: 1, target: 2 },
      ],
    });
    assert.deepEqual(flow.edges, [
      { source: 'a', target: 'b', source_handle: 'true' },
      { source: 'a', target: 'c', source_handle: 'false' },
      { source: 'a', target: 'd', source_handle: 'false' },
      { source: 'a', target: 'e' },
      { source: '1', target: '2' },
    ]);
  });

  it('moves node settings out of data, keeping the node-level value when both are set', () => {
    const flow = normalizeFlow({
      nodes: [
        {
          id: 'n',
          type: 'noop',
          label: 'Own label',
          config: { value: 1, label: 'from data', retry: { max_attempts: 2 }, timeout_ms: 500, on_error: 'continue', position: { x: 1, y: 2 } },
        },
      ],
    });
    assert.deepEqual(flow.nodes[0], {
      id: 'n',
      type: 'noop',
      label: 'Own label',
      data: { value: 1 },
      retry: { max_attempts: 2 },
      timeout_ms: 500,
      on_error: 'continue',
      position: { x: 1, y: 2 },
    });
  });

  it("leaves a type's own timeout_ms in data (approval), and an unregistered type's too", () => {
    const flow = normalizeFlow({
      nodes: [
        { id: 'a', type: 'approval', data: { timeout_ms: 1000 } },
        { id: 'h', type: 'some-future-type', data: { url: 'x', timeout_ms: 1000, on_error: 'route' } },
        { id: 'd', type: 'delay', data: { duration_ms: 1, timeout_ms: 1000 } },
      ],
    });
    assert.deepEqual(flow.nodes[0], { id: 'a', type: 'approval', data: { timeout_ms: 1000 } });
    assert.deepEqual(flow.nodes[1], { id: 'h', type: 'some-future-type', data: { url: 'x', timeout_ms: 1000 }, on_error: 'route' });
    assert.deepEqual(flow.nodes[2], { id: 'd', type: 'delay', data: { duration_ms: 1 }, timeout_ms: 1000 });
  });

  it('accepts camelCase and continue-on-error spellings of settings', () => {
    const flow = normalizeFlow({
      nodes: [
        { id: 'a', type: 'noop', onError: 'route', timeoutMs: 10 },
        { id: 'b', type: 'noop', continue_on_error: true },
        { id: 'c', type: 'noop', data: { continueOnFail: false } },
      ],
    });
    assert.deepEqual(flow.nodes, [
      { id: 'a', type: 'noop', data: {}, timeout_ms: 10, on_error: 'route' },
      { id: 'b', type: 'noop', data: {}, on_error: 'continue' },
      { id: 'c', type: 'noop', data: {}, on_error: 'fail' },
    ]);
  });

  it('normalises loop bodies', () => {
    const flow = normalizeFlow({
      nodes: [
        {
          id: 'loop',
          type: 'for_each',
          config: {
            items: '{{ input.list }}',
            body: { nodes: [{ id: 'x', type: 'no_op', config: { label: 'X' } }], edges: [{ from: 'x', to: 'y' }] },
          },
        },
      ],
    });
    assert.deepEqual(flow.nodes[0].data.body, {
      nodes: [{ id: 'x', type: 'noop', label: 'X', data: {} }],
      edges: [{ source: 'x', target: 'y' }],
    });
    assert.equal(flow.nodes[0].type, 'loop');
  });

  it('is idempotent', () => {
    for (const name of ['001-text-processing.json', '002-daily-inspection.json']) {
      const once = normalizeFlow(seed(name));
      assert.deepEqual(normalizeFlow(structuredClone(once)), once);
    }
  });

  it('does not modify its input', () => {
    const raw = seed('001-text-processing.json');
    const copy = structuredClone(raw);
    normalizeFlow(raw);
    assert.deepEqual(raw, copy);
  });

  it('never throws on garbage and leaves it for validation to report', () => {
    for (const raw of [null, undefined, 42, 'flow', [], { nodes: 'x' }, { nodes: [null, 7, 'a', []], edges: [null, 'e'] }, { nodes: [{ data: 5 }], edges: 3 }]) {
      const flow = normalizeFlow(raw);
      assert.equal(validateFlow(flow).valid, false, JSON.stringify(raw));
    }
    assert.deepEqual(normalizeFlow({ nodes: [null, { data: 5 }], edges: 3 }), { nodes: [null, { data: 5 }], edges: 3 });
    assert.deepEqual(normalizeFlow({ nodes: [] }), { nodes: [], edges: [] });
  });
});
