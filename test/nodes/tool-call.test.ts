import assert from 'node:assert/strict';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { NodeError } from '../../src/nodes/node-definition';
import { getNodeDefinition } from '../../src/nodes/registry';
import { TOOL_NAMES, toolCallNode } from '../../src/nodes/types/tool-call';
import { makeNodeContext, type NodeContextOverrides } from '../helpers/node-context';

describe('tool-call node', () => {
  let server: http.Server;
  let base: string;
  const paths: string[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      paths.push(req.url!);
      if (req.url!.startsWith('/missing')) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('no such thing');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          devices: [{ id: 'd1', online: true }],
          url: req.url,
          auth: req.headers.authorization,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    paths.length = 0;
  });

  function call(data: Record<string, unknown>, overrides: NodeContextOverrides = {}) {
    const ctx = makeNodeContext({ services: { httpAllowedHosts: ['127.0.0.1'] }, ...overrides });
    return toolCallNode.execute!(toolCallNode.dataSchema.parse(data), ctx);
  }

  async function failure(
    data: Record<string, unknown>,
    overrides?: NodeContextOverrides,
  ): Promise<NodeError> {
    try {
      await call(data, overrides);
    } catch (err) {
      assert.ok(err instanceof NodeError, `expected a NodeError, got ${String(err)}`);
      return err;
    }
    assert.fail('expected the tool call to fail');
  }

  it('echo returns its input', async () => {
    const out = await call({ tool: 'echo', input: { a: [1, 2], b: 'x' } });
    assert.deepEqual(out.output, { result: { a: [1, 2], b: 'x' }, tool: 'echo' });
  });

  it('http_get GETs the url with query and headers and outputs the parsed body', async () => {
    const out = await call({
      tool: 'http_get',
      input: { url: `${base}/devices`, query: { floor: 2 }, headers: { Authorization: 'Bearer t' } },
    });
    assert.deepEqual(out.output, {
      result: { devices: [{ id: 'd1', online: true }], url: '/devices?floor=2', auth: 'Bearer t' },
      tool: 'http_get',
    });
  });

  it('http_get goes through the address guard and keeps http-request error semantics', async () => {
    const blocked = await failure(
      { tool: 'http_get', input: { url: `${base}/devices` } },
      { services: { httpAllowedHosts: [] } },
    );
    assert.equal(blocked.options.type, 'AddressBlocked');
    assert.equal(paths.length, 0);

    const missing = await failure({ tool: 'http_get', input: { url: `${base}/missing` } });
    assert.equal(missing.options.retryable, false);
    assert.match(missing.message, /HTTP 404/);
  });

  it('rejects bad tool input non-retryably', async () => {
    const err = await failure({ tool: 'http_get', input: { href: 'x' } });
    assert.equal(err.options.retryable, false);
    assert.equal(err.options.type, 'InvalidConfig');
    assert.match(err.message, /input\.url/);
  });

  it("accepts seed 002's tool when the flow is saved and fails it at run time, naming the available tools", async () => {
    const seed = { tool: 'iot_get_all_devices', input: {} };
    assert.equal(toolCallNode.dataSchema.safeParse(seed).success, true);
    const err = await failure(seed);
    assert.equal(err.options.retryable, false);
    assert.equal(err.options.type, 'UnknownTool');
    assert.equal(
      err.message,
      `Unknown tool "iot_get_all_devices"; available tools: ${TOOL_NAMES.join(', ')}`,
    );
    assert.deepEqual(TOOL_NAMES, ['echo', 'http_get']);
    assert.equal((await failure({ tool: 'constructor' })).options.type, 'UnknownTool');
  });

  it('is registered under its seed spellings', () => {
    assert.equal(getNodeDefinition('tool-call'), toolCallNode);
    assert.equal(getNodeDefinition('tool_call'), toolCallNode);
    assert.equal(toolCallNode.dataSchema.safeParse({ input: {} }).success, false);
  });
});
