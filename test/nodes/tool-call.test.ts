import assert from 'node:assert/strict';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { memoryCredentialProvider } from '../../src/nodes/credentials';
import { NodeError } from '../../src/nodes/node-definition';
import { getNodeDefinition } from '../../src/nodes/registry';
import { evaluateMath } from '../../src/nodes/tools/math-expression';
import { memoryToolProvider, type UserTool } from '../../src/nodes/tools/tool-types';
import { TOOL_NAMES, toolCallNode } from '../../src/nodes/types/tool-call';
import { startDataSourceService } from '../helpers/data-sources';
import { makeNodeContext, type NodeContextOverrides } from '../helpers/node-context';

describe('tool-call node', () => {
  let server: http.Server;
  let base: string;
  const seen: { method: string; url: string; auth?: string; body: string }[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body: Buffer.concat(chunks).toString('utf8') });
        if (req.url!.startsWith('/missing')) {
          res.writeHead(404, { 'content-type': 'text/plain' });
          return res.end('no such thing');
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ devices: [{ id: 'd1', online: true }], url: req.url, auth: req.headers.authorization }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    seen.length = 0;
  });

  const devicesTool = (http: Partial<UserTool['http']> = {}): UserTool & { owner_id: string } => ({
    id: 't1',
    owner_id: 'owner-test',
    name: 'iot_get_all_devices',
    description: 'All devices of a building',
    input_schema: { type: 'object', properties: { building: { type: 'string' } }, additionalProperties: false },
    http: { method: 'GET', url: `${base}/buildings/{{ building }}/devices`, ...http },
  });

  function call(data: Record<string, unknown>, overrides: NodeContextOverrides = {}) {
    const ctx = makeNodeContext({
      ...overrides,
      services: { httpAllowedHosts: ['127.0.0.1'], tools: memoryToolProvider([devicesTool()]), ...overrides.services },
    });
    return toolCallNode.execute!(toolCallNode.dataSchema.parse(data), ctx);
  }

  async function failure(data: Record<string, unknown>, overrides?: NodeContextOverrides): Promise<NodeError> {
    try {
      await call(data, overrides);
    } catch (err) {
      assert.ok(err instanceof NodeError, `expected a NodeError, got ${String(err)}`);
      return err;
    }
    assert.fail('expected the tool call to fail');
  }

  it('has the built-in tools, each with a JSON Schema for its input', () => {
    assert.deepEqual(TOOL_NAMES, ['current_time', 'echo', 'http_fetch', 'http_get', 'json_path', 'math', 'sql_query']);
  });

  it('echo returns its input', async () => {
    const out = await call({ tool: 'echo', input: { a: [1, 2], b: 'x' } });
    assert.deepEqual(out.output, { result: { a: [1, 2], b: 'x' }, tool: 'echo' });
  });

  it('http_fetch sends the request and returns status, url and the parsed body; http_get still answers the body', async () => {
    const out = await call({ tool: 'http_fetch', input: { url: `${base}/devices`, method: 'POST', query: { floor: 2 }, headers: { Authorization: 'Bearer t' }, body: { a: 1 } } });
    assert.deepEqual(out.output.result, {
      status: 200,
      url: `${base}/devices?floor=2`,
      body: { devices: [{ id: 'd1', online: true }], url: '/devices?floor=2', auth: 'Bearer t' },
    });
    assert.deepEqual([seen[0].method, seen[0].body], ['POST', '{"a":1}']);
    const old = await call({ tool: 'http_get', input: { url: `${base}/devices` } });
    assert.equal((old.output.result as any).url, '/devices');
  });

  it('http tools go through the address guard and keep http-request error semantics', async () => {
    const blocked = await failure({ tool: 'http_fetch', input: { url: `${base}/devices` } }, { services: { httpAllowedHosts: [] } });
    assert.equal(blocked.options.type, 'AddressBlocked');
    assert.equal(seen.length, 0);
    const missing = await failure({ tool: 'http_fetch', input: { url: `${base}/missing` } });
    assert.equal(missing.options.retryable, false);
    assert.match(missing.message, /HTTP 404/);
  });

  it('current_time, math and json_path', async () => {
    const time = (await call({ tool: 'current_time', input: { timezone: 'Asia/Shanghai' } })).output.result as any;
    assert.ok(Math.abs(time.unix_ms - Date.now()) < 5_000);
    assert.equal(time.offset, '+08:00');
    assert.match(time.local, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.equal((await failure({ tool: 'current_time', input: { timezone: 'Mars/Olympus' } })).options.type, 'InvalidToolInput');

    assert.deepEqual((await call({ tool: 'math', input: { expression: '2 * (3 + 4) ^ 2 / sqrt(16)' } })).output.result, { result: 24.5 });
    assert.equal(evaluateMath('-2^2 + max(1, 5, 3) % 4 + round(pi, 2)'), -4 + 1 + 3.14);
    const bad = await failure({ tool: 'math', input: { expression: 'process.exit(1)' } });
    assert.equal(bad.options.type, 'InvalidToolInput');
    assert.match(bad.message, /^Invalid expression: unexpected character "\." at 8$/);
    assert.match((await failure({ tool: 'math', input: { expression: 'exec(1)' } })).message, /unknown function "exec"/);

    const data = { devices: [{ id: 'a', status: 'online' }, { id: 'b', status: 'offline' }] };
    const path = await call({ tool: 'json_path', input: { data, expression: 'data.devices[status != "online"].id' } });
    assert.equal(path.output.result, 'b');
  });

  it('sql_query runs one parameterised query on a data source of the owner, through the worker\u2019s data source service', async () => {
    const fx = await startDataSourceService();
    try {
      fx.sqliteFile('plant.db', "create table devices (id text, status text); insert into devices values ('d1', 'online'), ('d2', 'offline');");
      await fx.service.create({ userId: 'owner-test' }, { name: 'plant', type: 'sqlite', config: { path: 'plant.db' } });
      const services = { dataSources: fx.service.provider };
      const out = await call({ tool: 'sql_query', input: { data_source: 'plant', query: 'select id from devices where status = ?', params: ['offline'] } }, { services });
      assert.deepEqual(out.output.result, { rows: [{ id: 'd2' }], columns: ['id'], truncated: false, row_count: 1, data_source: 'plant' });
      const other = await failure({ tool: 'sql_query', input: { data_source: 'plant', query: 'select 1' } }, { ownerId: 'someone-else', services });
      assert.equal(other.options.retryable, false);
      assert.match(other.message, /data source "plant" not found/);
    } finally {
      await fx.stop();
    }
  });

  it('checks the input against the tool\u2019s JSON Schema, naming every problem, without retries', async () => {
    const err = await failure({ tool: 'http_fetch', input: { href: 'x', timeout_ms: 'soon' } });
    assert.equal(err.options.retryable, false);
    assert.equal(err.options.type, 'InvalidToolInput');
    assert.match(err.message, /input: must have required property 'url'/);
    assert.match(err.message, /input\.timeout_ms: must be integer/);
    const own = await failure({ tool: 'iot_get_all_devices', input: { building: 7 } });
    assert.match(own.message, /Invalid input for tool "iot_get_all_devices": input\.building: must be string/);
  });

  it("runs the owner's HTTP tool: input rendered into the URL (encoded), its credential's header added and scrubbed from the answer", async () => {
    const out = await call({ tool: 'iot_get_all_devices', input: { building: 'A 栋' } });
    assert.equal(seen[0].url, '/buildings/A%20%E6%A0%8B/devices');
    assert.deepEqual((out.output.result as any).devices, [{ id: 'd1', online: true }]);

    const token = 'tok-0123456789';
    const withCredential = await call(
      { tool: 'iot_get_all_devices', input: { building: 'B' } },
      {
        services: {
          tools: memoryToolProvider([devicesTool({ credential: 'iot' })]),
          credentials: memoryCredentialProvider([{ id: 'c1', name: 'iot', type: 'http_bearer', data: { token } }]),
        },
      },
    );
    assert.equal(seen[1].auth, `Bearer ${token}`);
    // The server echoes the header back: the answer carries *** instead.
    assert.equal((withCredential.output.result as any).auth, 'Bearer ***');
  });

  it('sends the input as the JSON body of a POST tool', async () => {
    const tools = memoryToolProvider([{ ...devicesTool({ method: 'POST', url: `${base}/report` }), name: 'report' }]);
    await call({ tool: 'report', input: { building: 'C' } }, { services: { tools } });
    assert.deepEqual([seen[0].method, seen[0].url, JSON.parse(seen[0].body)], ['POST', '/report', { building: 'C' }]);
  });

  it("fails an unknown tool (or another owner's) without retries, saying how to register one", async () => {
    const err = await failure({ tool: 'nope', input: {} });
    assert.equal(err.options.retryable, false);
    assert.equal(err.options.type, 'UnknownTool');
    assert.equal(err.message, `Unknown tool "nope": register it with POST /api/v1/tools, or use a built-in tool (${TOOL_NAMES.join(', ')})`);
    assert.equal((await failure({ tool: 'iot_get_all_devices' }, { ownerId: 'someone-else' })).options.type, 'UnknownTool');
    assert.equal((await failure({ tool: 'constructor' })).options.type, 'UnknownTool');
  });

  it('is registered under its seed spellings and validates tool names', () => {
    assert.equal(getNodeDefinition('tool-call'), toolCallNode);
    assert.equal(getNodeDefinition('tool_call'), toolCallNode);
    assert.equal(toolCallNode.dataSchema.safeParse({ input: {} }).success, false);
    assert.equal(toolCallNode.dataSchema.safeParse({ tool: 'has spaces' }).success, false);
    assert.equal(toolCallNode.dataSchema.safeParse({ tool: '{{ input.tool }}' }).success, true);
    assert.equal(toolCallNode.dataSchema.safeParse({ tool: 'iot_get_all_devices', input: {} }).success, true);
  });
});
