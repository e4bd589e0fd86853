/**
 * Mistakes surface when a flow is saved, not when a run fails: every save answers the warnings
 * /workflows/validate gives, refuses what can never run with 422 naming each problem's path, and
 * suggests the name that was probably meant.
 */
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

const V1 = '/api/v1';

type Issue = { path: string; code: string; message: string };

/** A flow with one of each warning a save should give (and no error). */
function flawed(name = 'flawed') {
  return {
    name,
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'fetch', type: 'http-request', data: { url: 'http://192.168.7.7/devices' } },
      { id: 'local', type: 'http-request', data: { url: 'http://127.0.0.1:9/ok' } },
      { id: 'templated', type: 'http-request', data: { url: '{{ input.base_url }}/devices' } },
      { id: 'side', type: 'noop', data: { value: 1 } },
      { id: 'report', type: 'transform', data: { expression: '{ "n": $count(fetch.reslt), "side": side.result, "typo": fetc.result }' } },
      { id: 'ask', type: 'llm', data: { prompt: 'Summarise {{ fetch.result }}' } },
      { id: 'local_model', type: 'llm', data: { prompt: 'hi', provider: 'ollama' } },
      { id: 'mail', type: 'email-send', data: { to: 'ops@example.test', subject: 'Report', body: '{{ ask.result }}' } },
    ],
    edges: [
      { source: 'start', target: 'fetch' },
      { source: 'start', target: 'local' },
      { source: 'start', target: 'templated' },
      { source: 'start', target: 'side' },
      { source: 'fetch', target: 'report' },
      { source: 'report', target: 'ask' },
      { source: 'report', target: 'local_model' },
      { source: 'ask', target: 'mail' },
    ],
  };
}

const codesAt = (issues: Issue[]) => issues.map((w) => `${w.code} ${w.path}`).sort();

describe('flow warnings and errors at save time', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let token: string;

  before(async () => {
    // LLM_BASE_URL and SMTP_URL unset; loopback allowed, as in every API test.
    tp = await startTestPlatform();
    token = (await tp.login()).token;
  });
  after(async () => tp?.stop());

  const api = (method: string, path: string, body?: unknown) => tp.api(method, `${V1}${path}`, body, token);

  it('/validate warns about fields a node never outputs, unknown and non-upstream nodes, refused addresses and missing integrations', async () => {
    const v = await api('POST', '/workflows/validate', flawed());
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(v.body.valid, true, JSON.stringify(v.body.errors));
    const warnings: Issue[] = v.body.warnings;
    assert.deepEqual(codesAt(warnings), [
      'ADDRESS_BLOCKED nodes[1].data.url',
      'LLM_NOT_CONFIGURED nodes[6]',
      'NOT_UPSTREAM nodes[5].data.expression',
      'SMTP_NOT_CONFIGURED nodes[8]',
      'UNKNOWN_OUTPUT_FIELD nodes[5].data.expression',
      'UNKNOWN_REFERENCE nodes[5].data.expression',
    ]);
    const byCode = Object.fromEntries(warnings.map((w) => [w.code, w.message]));
    assert.match(byCode.UNKNOWN_OUTPUT_FIELD, /"fetch" \(http-request\) has no output field "reslt" \(did you mean "result"\?\); its output has result, status, headers, url/);
    assert.match(byCode.UNKNOWN_REFERENCE, /"fetc" is not a node of this flow.*\(did you mean "fetch"\?\)/);
    assert.match(byCode.NOT_UPSTREAM, /Node "side" is not upstream of this node/);
    assert.match(byCode.ADDRESS_BLOCKED, /192\.168\.7\.7: it is a private address.*HTTP_ALLOWED_HOSTS/);
    assert.match(byCode.LLM_NOT_CONFIGURED, /LLM_BASE_URL is not configured/);
    assert.match(byCode.SMTP_NOT_CONFIGURED, /SMTP_URL is not configured/);
    for (const w of warnings) assert.deepEqual(Object.keys(w).sort(), ['code', 'message', 'path']);
  });

  it('POST, PUT, PATCH and import answer the warnings /validate gives, and still save the flow', async () => {
    const expected = (await api('POST', '/workflows/validate', flawed())).body.warnings;
    const created = await api('POST', '/workflows', flawed());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.warnings, expected);

    const put = await api('PUT', `/workflows/${created.body.id}`, { ...flawed('renamed'), description: 'same graph' });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.warnings, expected);

    // A change that leaves the graph alone answers the stored graph's warnings.
    const renamed = await api('PATCH', `/workflows/${created.body.id}`, { name: 'only the name' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.deepEqual(renamed.body.warnings, expected);

    // Fixing the field and the address leaves the other warnings.
    const fixedNodes = flawed().nodes.map((n) =>
      n.id === 'report' ? { ...n, data: { expression: '$count(fetch.result)' } } : n.id === 'fetch' ? { ...n, data: { url: 'https://example.test/devices' } } : n,
    );
    const patched = await api('PATCH', `/workflows/${created.body.id}`, { nodes: fixedNodes });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(codesAt(patched.body.warnings), ['LLM_NOT_CONFIGURED nodes[6]', 'SMTP_NOT_CONFIGURED nodes[8]']);

    const imported = await api('POST', '/workflows/import', { workflow: flawed('imported') });
    assert.equal(imported.status, 201, JSON.stringify(imported.body));
    assert.deepEqual(imported.body.warnings, expected);

    const edited = await api('PATCH', `/workflows/${imported.body.id}/nodes/report`, { data: { expression: 'fetch.status' } });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.ok(!codesAt(edited.body.warnings).includes('UNKNOWN_OUTPUT_FIELD nodes[5].data.expression'), JSON.stringify(edited.body.warnings));
  });

  it('a flow without mistakes saves without warnings', async () => {
    const clean = await api('POST', '/workflows', {
      name: 'clean',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'fetch', type: 'http-request', data: { url: 'http://127.0.0.1:9/x' }, on_error: 'continue' },
        { id: 'each', type: 'loop', data: { items: '{{ fetch.result }}', body: { nodes: [{ id: 'one', type: 'transform', data: { expression: 'item & fetch.status' } }], edges: [] } } },
        { id: 'end', type: 'end', data: { output: { items: '{{ each.result }}', failed: '{{ each.errors }}', error: '{{ fetch.error }}', prev: '{{ prev.result }}' } } },
      ],
      edges: [
        { source: 'start', target: 'fetch' },
        { source: 'fetch', target: 'each' },
        { source: 'each', target: 'end' },
      ],
    });
    assert.equal(clean.status, 201, JSON.stringify(clean.body));
    assert.equal(clean.body.warnings, undefined, JSON.stringify(clean.body.warnings));
  });

  it('warns when a loop body reads the loop itself or a node that is not upstream of the loop', async () => {
    const v = await api('POST', '/workflows/validate', {
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'later', type: 'noop', data: { value: 1 } },
        { id: 'each', type: 'loop', data: { items: '{{ input.items }}', body: { nodes: [{ id: 'one', type: 'noop', data: { value: '{{ later.result }} {{ each.result }}' } }], edges: [] } } },
      ],
      edges: [
        { source: 'start', target: 'each' },
        { source: 'each', target: 'later' },
      ],
    });
    assert.deepEqual(
      v.body.warnings.map((w: Issue) => [w.code, w.path, /loop "each"|the loop this node runs in/.test(w.message)]),
      [
        ['NOT_UPSTREAM', 'nodes[2].data.body.nodes[0].data.value', true],
        ['NOT_UPSTREAM', 'nodes[2].data.body.nodes[0].data.value', true],
      ],
    );
  });

  it('refuses with 422 every problem at once: an invalid input schema, code that does not parse, an unknown tool, typos with suggestions', async () => {
    const flow = {
      name: 'broken',
      nodes: [
        { id: 'start', type: 'start', data: { input_schema: { type: 'object', properties: { name: { type: 'strin' } }, required: 'name' } } },
        { id: 'calc', type: 'code', data: { code: 'const total = input.a + input.b;\n  return total +;' } },
        { id: 'fetch', type: 'htttp-request', data: { url: 'https://example.test' } },
        { id: 'call', type: 'http-request', data: { urll: 'https://example.test' } },
        { id: 'tool', type: 'tool-call', data: { tool: 'no_such_tool' } },
      ],
      edges: [
        { source: 'start', target: 'calc' },
        { source: 'calc', target: 'fetc' },
        { source: 'calc', target: 'call' },
        { source: 'call', target: 'tool' },
      ],
    };
    const r = await api('POST', '/workflows', flow);
    assert.equal(r.status, 422, JSON.stringify(r.body));
    const details: Record<string, string> = r.body.error.details;
    assert.deepEqual(Object.keys(details).sort(), [
      'edges[1].target',
      'nodes[0].data.input_schema.properties.name.type',
      'nodes[0].data.input_schema.required',
      'nodes[1].data.code',
      'nodes[2].type',
      'nodes[3].data.url',
      'nodes[3].data.urll',
      'nodes[4].data.tool',
    ]);
    assert.match(details['nodes[0].data.input_schema.properties.name.type'], /allowed values: .*string.*\(did you mean "string"\?\)/);
    assert.match(details['nodes[0].data.input_schema.required'], /must be array/);
    assert.equal(details['nodes[1].data.code'], "SyntaxError: Unexpected token ';' (line 2, column 17)");
    assert.match(details['nodes[2].type'], /Unknown node type "htttp-request" \(did you mean "http-request"\?\)/);
    assert.match(details['nodes[3].data.urll'], /Unknown field "urll" \(did you mean "url"\?\)/);
    assert.match(details['edges[1].target'], /No node "fetc" \(did you mean "fetch"\?\)/);
    assert.match(details['nodes[4].data.tool'], /Unknown tool "no_such_tool"/);

    // /validate reports the same problems, with codes.
    const v = await api('POST', '/workflows/validate', flow);
    assert.equal(v.body.valid, false);
    const codes = codesAt(v.body.errors);
    for (const expected of ['INVALID_INPUT_SCHEMA nodes[0].data.input_schema.required', 'CODE_SYNTAX_ERROR nodes[1].data.code', 'UNKNOWN_NODE_TYPE nodes[2].type']) {
      assert.ok(codes.includes(expected), `${expected} in ${codes.join(', ')}`);
    }

    // The same through import and PUT, with import's paths under workflow.
    const imported = await api('POST', '/workflows/import', { workflow: flow });
    assert.equal(imported.status, 422);
    assert.ok(imported.body.error.details['workflow.nodes[1].data.code'], JSON.stringify(imported.body.error.details));
    const ok = await api('POST', '/workflows', { name: 'ok', nodes: [{ id: 'start', type: 'start' }], edges: [] });
    const put = await api('PUT', `/workflows/${ok.body.id}`, flow);
    assert.equal(put.status, 422);
    assert.deepEqual(Object.keys(put.body.error.details).sort(), Object.keys(details).sort());
  });

  it('reports where code stops parsing when it ends too early', async () => {
    const v = await api('POST', '/workflows/validate', {
      nodes: [{ id: 'calc', type: 'code', data: { code: 'return `unterminated' } }],
      edges: [],
    });
    assert.deepEqual(v.body.errors, [{ path: 'nodes[0].data.code', code: 'CODE_SYNTAX_ERROR', message: 'SyntaxError: Unexpected end of code, a brace, bracket, string or comment is not closed (line 1, column 21)' }]);
  });

  it('a run with several inputs that fail the input schema reports all of them', async () => {
    const created = await api('POST', '/workflows', {
      name: 'needs input',
      nodes: [
        { id: 'start', type: 'start', data: { input_schema: { type: 'object', required: ['name', 'email'], properties: { age: { type: 'integer' } } } } },
        { id: 'end', type: 'end' },
      ],
      edges: [{ source: 'start', target: 'end' }],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const r = await api('POST', `/workflows/${created.body.id}/execute`, { input_data: { age: 'old' } });
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.match(r.body.error.details.input_data, /required property 'name'.*; .*required property 'email'/);
    assert.match(r.body.error.details['input_data.age'], /must be integer/);
  });
});
