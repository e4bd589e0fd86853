import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { completion, startFakeOpenAi, toolCalls } from '../helpers/fake-openai';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';

const V1 = '/api/v1';

describe('tools API (/tools)', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let token: string;
  let other: string;
  let server: http.Server;
  let base: string;
  const seen: { url: string; auth?: string }[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url!, auth: req.headers.authorization });
      res.writeHead(req.url!.startsWith('/gone') ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ devices: [{ id: 'd1', status: 'offline' }], url: req.url }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    tp = await startTestPlatform();
    await tp.login(); // the first user is an admin; the owner is a regular user
    token = (await tp.login()).token;
    other = (await tp.login()).token;
  });

  after(async () => {
    await tp?.stop();
    server?.closeAllConnections();
    server?.close();
  });

  const devices = (extra: Record<string, unknown> = {}) => ({
    name: 'get_devices',
    description: 'The devices of a building',
    input_schema: { type: 'object', properties: { building: { type: 'string' } }, required: ['building'], additionalProperties: false },
    http: { method: 'GET', url: `${base}/buildings/{{ building }}/devices` },
    ...extra,
  });

  it('lists the built-in tools with their input schemas', async () => {
    const res = await tp.api('GET', `${V1}/tools/builtin`, undefined, token);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body), ['items', 'total', 'skip', 'limit']);
    const names = res.body.items.map((t: any) => t.name);
    for (const name of ['http_fetch', 'current_time', 'json_path', 'math', 'sql_query']) assert.ok(names.includes(name), name);
    const fetch = res.body.items.find((t: any) => t.name === 'http_fetch');
    assert.equal(fetch.input_schema.type, 'object');
    assert.deepEqual(fetch.input_schema.required, ['url']);
    assert.equal(res.body.total, names.length);
  });

  it('creates, lists, reads, replaces and deletes a tool; only its owner sees it', async () => {
    const created = await tp.api('POST', `${V1}/tools`, devices(), token);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    assert.equal(created.body.http.method, 'GET');
    assert.equal(created.body.owner_id, undefined);

    assert.equal((await tp.api('POST', `${V1}/tools`, devices(), token)).status, 409);
    const list = await tp.api('GET', `${V1}/tools?limit=5`, undefined, token);
    assert.deepEqual([list.body.total, list.body.skip, list.body.limit, list.body.items[0].id], [1, 0, 5, id]);
    assert.equal((await tp.api('GET', `${V1}/tools`, undefined, other)).body.total, 0);
    for (const [method, path, body] of [
      ['GET', `${V1}/tools/${id}`, undefined],
      ['PUT', `${V1}/tools/${id}`, devices()],
      ['DELETE', `${V1}/tools/${id}`, undefined],
      ['POST', `${V1}/tools/${id}/test`, { input: { building: 'A' } }],
    ] as const) {
      assert.equal((await tp.api(method, path, body, other)).status, 404, `${method} ${path}`);
    }

    const replaced = await tp.api('PUT', `${V1}/tools/${id}`, devices({ description: 'Devices, replaced', http: { method: 'post', url: `${base}/report` } }), token);
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.deepEqual([replaced.body.description, replaced.body.http.method], ['Devices, replaced', 'POST']);
    assert.equal((await tp.api('GET', `${V1}/tools/${id}`, undefined, token)).body.description, 'Devices, replaced');

    assert.equal((await tp.api('DELETE', `${V1}/tools/${id}`, undefined, token)).status, 204);
    assert.equal((await tp.api('GET', `${V1}/tools/${id}`, undefined, token)).status, 404);
  });

  it('refuses built-in names, bad names, invalid or non-object schemas and bad URLs, naming the field', async () => {
    const refused = async (body: unknown, field: string) => {
      const res = await tp.api('POST', `${V1}/tools`, body, token);
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.ok(Object.keys(res.body.error.details).some((k) => k.startsWith(field)), JSON.stringify(res.body.error.details));
    };
    await refused(devices({ name: 'http_fetch' }), 'name');
    await refused(devices({ name: 'has space' }), 'name');
    await refused(devices({ input_schema: { type: 'nonsense' } }), 'input_schema');
    await refused(devices({ input_schema: { type: 'string' } }), 'input_schema');
    await refused(devices({ http: { url: 'ftp://example.com' } }), 'http.url');
  });

  it('tests a tool on the worker: the input checked against its schema, its credential used', async () => {
    const credential = await tp.api('POST', `${V1}/credentials`, { name: 'iot-token', type: 'http_bearer', data: { token: 'iot-secret-123' } }, token);
    assert.equal(credential.status, 201, JSON.stringify(credential.body));
    const created = await tp.api('POST', `${V1}/tools`, devices({ name: 'tested', http: { url: `${base}/buildings/{{ building }}/devices`, credential: 'iot-token' } }), token);
    const id = created.body.id;

    seen.length = 0;
    const ok = await tp.api('POST', `${V1}/tools/${id}/test`, { input: { building: 'A 1' } }, token);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.success, true, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.output, { devices: [{ id: 'd1', status: 'offline' }], url: '/buildings/A%201/devices' });
    assert.equal(ok.body.error, null);
    assert.equal(typeof ok.body.duration_ms, 'number');
    assert.equal(seen[0].auth, 'Bearer iot-secret-123');

    const invalid = await tp.api('POST', `${V1}/tools/${id}/test`, { input: { building: 7, floor: 2 } }, token);
    assert.equal(invalid.status, 200);
    assert.equal(invalid.body.success, false);
    assert.equal(invalid.body.error.type, 'InvalidToolInput');
    assert.match(invalid.body.error.message, /input\.building: must be string/);
    assert.match(invalid.body.error.message, /must NOT have additional properties \(floor\)/);

    const templated = await tp.api('POST', `${V1}/tools/${id}/test`, { input: { building: '{{ $now() }}' } }, token);
    assert.equal(templated.body.success, true, JSON.stringify(templated.body));
    assert.equal(templated.body.output.url, `/buildings/${encodeURIComponent('{{ $now() }}')}/devices`);
  });

  it('refuses a flow naming an unknown tool when it is saved, and takes it once the tool exists', async () => {
    const flow = (tool: string) => ({
      name: 'inspect',
      nodes: [
        { id: 'start', type: 'start' },
        { id: 'fetch', type: 'tool_call', data: { tool, input: { building: 'B' } } },
        {
          id: 'each',
          type: 'loop',
          data: { items: '{{ fetch.result.devices }}', body: { nodes: [{ id: 'inner', type: 'tool-call', data: { tool, input: { building: '{{ item.id }}' } } }], edges: [] } },
        },
      ],
      edges: [
        { source: 'start', target: 'fetch' },
        { source: 'fetch', target: 'each' },
      ],
    });
    const refused = await tp.api('POST', `${V1}/workflows`, flow('inspect_devices'), token);
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.deepEqual(Object.keys(refused.body.error.details).sort(), ['nodes[1].data.tool', 'nodes[2].data.body.nodes[0].data.tool']);
    assert.match(refused.body.error.details['nodes[1].data.tool'], /^Unknown tool "inspect_devices": register it with POST \/api\/v1\/tools, or use a built-in tool \(/);
    const validated = await tp.api('POST', `${V1}/workflows/validate`, flow('inspect_devices'), token);
    assert.equal(validated.body.valid, false);
    assert.ok(validated.body.errors.some((e: any) => e.path === 'nodes[1].data.tool'));

    // Templated names are known only at run time; built-in names always exist.
    assert.equal((await tp.api('POST', `${V1}/workflows`, flow('{{ input.tool }}'), token)).status, 201);
    assert.equal((await tp.api('POST', `${V1}/workflows`, flow('echo'), token)).status, 201);

    await tp.api('POST', `${V1}/tools`, devices({ name: 'inspect_devices' }), token);
    const saved = await tp.api('POST', `${V1}/workflows`, flow('inspect_devices'), token);
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    // Another user's tool of that name does not count.
    assert.equal((await tp.api('POST', `${V1}/workflows`, flow('inspect_devices'), other)).status, 422);

    seen.length = 0;
    const run = await tp.api('POST', `${V1}/workflows/${saved.body.id}/execute`, { input_data: {} }, token);
    const done = await waitForRun(tp, token, run.body.id);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    assert.deepEqual(seen.map((s) => s.url).sort(), ['/buildings/B/devices', '/buildings/d1/devices']);
  });

  it("lets an agent call the owner's tools by name, offering the model each tool's description and schema", async () => {
    const fake = await startFakeOpenAi((_req, n) => (n === 1 ? toolCalls([['c1', 'agent_devices', { building: 'Z' }]]) : completion('Z: d1 is offline')));
    try {
      await tp.api('POST', `${V1}/tools`, devices({ name: 'agent_devices' }), token);
      const flow = (tools: string[]) => ({
        name: 'agent',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'inspector', type: 'agent', data: { provider: fake.url, prompt: 'Check building Z', tools } },
        ],
        edges: [{ source: 'start', target: 'inspector' }],
      });
      const refused = await tp.api('POST', `${V1}/workflows`, flow(['agent_devices', 'nope']), token);
      assert.equal(refused.status, 422);
      assert.deepEqual(Object.keys(refused.body.error.details), ['nodes[1].data.tools[1]']);

      const saved = await tp.api('POST', `${V1}/workflows`, flow(['agent_devices', 'math']), token);
      assert.equal(saved.status, 201, JSON.stringify(saved.body));
      seen.length = 0;
      const run = await tp.api('POST', `${V1}/workflows/${saved.body.id}/execute`, { input_data: {} }, token);
      const done = await waitForRun(tp, token, run.body.id);
      assert.equal(done.status, 'completed', JSON.stringify(done));
      assert.equal(done.output_data, 'Z: d1 is offline');
      assert.deepEqual(seen.map((s) => s.url), ['/buildings/Z/devices']);
      const offered = fake.requests[0].body.tools.find((t: any) => t.function.name === 'agent_devices');
      assert.deepEqual(offered.function, { name: 'agent_devices', description: 'The devices of a building', parameters: devices().input_schema });
    } finally {
      await fake.close();
    }
  });
});
