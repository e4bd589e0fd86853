import assert from 'node:assert/strict';
import { compileFlow } from '../../src/nodes/compile-flow';
import { DEFAULT_RETRY, DEFAULT_TIMEOUT_MS } from '../../src/nodes/defaults';
import { FlowValidationError } from '../../src/nodes/validate-flow';
import { noopNode } from '../../src/nodes/types/noop';

describe('compileFlow', () => {
  const flow = {
    nodes: [
      { id: 'start', type: 'start', data: {}, position: { x: 0, y: 0 } },
      { id: 'fetch', type: 'noop', label: 'Fetch', data: { value: 1 }, retry: { max_attempts: 5 }, timeout_ms: 1_000, on_error: 'route' },
      { id: 'route', type: 'switch', data: { cases: [{ name: 'big', expression: 'fetch.result > 5' }] } },
      { id: 'each', type: 'loop', data: { items: '{{ input.items }}', body: { nodes: [{ id: 'inner', type: 'noop', data: {} }] } } },
      { id: 'done', type: 'end', data: { output: '{{ each.result }}' } },
      { id: 'oops', type: 'noop', data: {} },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'fetch' },
      { source: 'fetch', target: 'route' },
      { source: 'fetch', target: 'oops', source_handle: 'error' },
      { source: 'route', target: 'each', source_handle: 'big' },
      { source: 'route', target: 'done', source_handle: 'default' },
      { source: 'each', target: 'done' },
    ],
  };

  it('resolves timeout and retry from the node over its type over the global defaults', () => {
    const compiled = compileFlow(flow);
    const fetch = compiled.nodes[1];
    assert.deepEqual(fetch.exec, {
      kind: 'activity',
      ports: ['default'],
      timeout_ms: 1_000,
      retry: { ...DEFAULT_RETRY, max_attempts: 5 },
      heartbeat_ms: noopNode.defaults!.heartbeat_ms,
      local: true,
      eval: 'inline',
      reads: [],
    });
    const oops = compiled.nodes[5];
    assert.equal(oops.exec.timeout_ms, noopNode.defaults!.timeout_ms);
    assert.deepEqual(oops.exec.retry, DEFAULT_RETRY);
    assert.equal(compiled.nodes[0].exec.timeout_ms, DEFAULT_TIMEOUT_MS);
  });

  it('places each node\'s expressions: inline when cheap, isolated otherwise, with the names they read', () => {
    const compiled = compileFlow({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'cheap', type: 'transform', data: { expression: '$sum(input.xs) > 3 and start.result.ok' } },
        { id: 'heavy', type: 'transform', data: { expression: '$map(input.xs, function($v) { $v * 2 })' } },
        { id: 'regex', type: 'noop', data: { value: '{{ $match(cheap.result, /a+/) }}' } },
        { id: 'whole', type: 'noop', data: { value: '{{ $keys($$) }}' } },
      ],
      edges: [
        { source: 'start', target: 'cheap' },
        { source: 'cheap', target: 'heavy' },
        { source: 'heavy', target: 'regex' },
        { source: 'regex', target: 'whole' },
      ],
    });
    const exec = Object.fromEntries(compiled.nodes.map((n) => [n.id, n.exec]));
    assert.equal(exec.cheap.eval, 'inline');
    assert.deepEqual(exec.cheap.reads, ['input', 'start']);
    assert.equal(exec.heavy.eval, 'isolated');
    assert.deepEqual(exec.heavy.reads, ['input']);
    assert.equal(exec.regex.eval, 'isolated');
    assert.equal(exec.whole.eval, 'inline');
    assert.equal(exec.whole.reads, undefined, 'reads the whole context');
  });

  it('runs short, repeatable activity nodes as local activities: `auto` asks the type, `local`/`remote` decide', () => {
    const compiled = compileFlow({
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'pass', type: 'noop', data: { value: 1 } },
        { id: 'wait', type: 'noop', data: { delay_ms: 500 } },
        { id: 'forced', type: 'noop', data: { delay_ms: 500 }, execution: 'local' },
        { id: 'kept', type: 'noop', data: { value: 1 }, execution: 'remote' },
        { id: 'calc', type: 'code', data: { code: 'return 1' } },
        { id: 'slowcalc', type: 'code', data: { code: 'return 1', timeout_ms: 30_000 } },
        { id: 'get', type: 'http-request', data: { url: 'https://example.test/', timeout_ms: 2_000 } },
        { id: 'post', type: 'http-request', data: { method: 'POST', url: 'https://example.test/', timeout_ms: 2_000 } },
        { id: 'slowget', type: 'http-request', data: { url: 'https://example.test/' } },
      ],
      edges: [],
    });
    const local = Object.fromEntries(compiled.nodes.map((n) => [n.id, n.exec.local === true]));
    assert.deepEqual(local, {
      start: false,
      pass: true,
      wait: false,
      forced: true,
      kept: false,
      calc: true,
      slowcalc: false,
      get: true,
      post: false,
      slowget: false,
    });
  });

  it('keeps node settings but drops editor-only fields', () => {
    const [start, fetch] = compileFlow(flow).nodes;
    assert.equal(start.position, undefined);
    assert.equal(fetch.label, 'Fetch');
    assert.equal(fetch.on_error, 'route');
    assert.deepEqual(fetch.retry, { max_attempts: 5 });
    assert.equal(fetch.timeout_ms, 1_000);
    assert.deepEqual(fetch.data, { value: 1 });
  });

  it('gives control nodes their ports, including switch cases, and their data with defaults', () => {
    const compiled = compileFlow(flow);
    const route = compiled.nodes[2];
    assert.equal(route.exec.kind, 'control');
    assert.deepEqual(route.exec.ports, ['big', 'default']);
    assert.deepEqual(compiled.nodes[4].exec.ports, []);
    const each = compiled.nodes[3];
    assert.equal(each.data.concurrency, 1);
    assert.equal(each.data.error_handling, 'stop');
  });

  it('compiles loop bodies in place', () => {
    const body = compileFlow(flow).nodes[3].data.body as { nodes: { id: string; exec: { kind: string } }[]; edges: unknown[] };
    assert.equal(body.nodes[0].id, 'inner');
    assert.equal(body.nodes[0].exec.kind, 'activity');
    assert.deepEqual(body.edges, []);
  });

  it('makes every edge name its port', () => {
    const compiled = compileFlow(flow);
    assert.deepEqual(compiled.edges[0], { id: 'e1', source: 'start', target: 'fetch', source_handle: 'default' });
    assert.deepEqual(
      compiled.edges.map((e) => e.source_handle),
      ['default', 'default', 'error', 'big', 'default', 'default'],
    );
  });

  it('accepts the seeds\' spellings', () => {
    const compiled = compileFlow({
      nodes: [
        { id: 'a', type: 'no_op', config: { value: 1, label: 'A' } },
        { id: 'b', type: 'If', config: { expression: 'a.result = 1' } },
        { id: 'c', type: 'noop' },
      ],
      edges: [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c', condition: 'true' },
      ],
    });
    assert.deepEqual(
      compiled.nodes.map((n) => [n.id, n.type, n.label]),
      [
        ['a', 'noop', 'A'],
        ['b', 'condition', undefined],
        ['c', 'noop', undefined],
      ],
    );
    assert.equal(compiled.edges[1].source_handle, 'true');
  });

  it('throws every validation error of an invalid flow', () => {
    assert.throws(
      () => compileFlow({ nodes: [{ id: 'a', type: 'mystery' }, { id: 'b', type: 'condition', data: {} }], edges: [{ source: 'a', target: 'x' }] }),
      (err: unknown) => {
        assert.ok(err instanceof FlowValidationError);
        assert.deepEqual(
          err.errors.map((e) => e.path).sort(),
          ['edges[0].target', 'nodes[0].type', 'nodes[1].data.expression'],
        );
        return true;
      },
    );
  });

  it('does not modify its input', () => {
    const copy = structuredClone(flow);
    compileFlow(flow);
    assert.deepEqual(flow, copy);
  });
});
