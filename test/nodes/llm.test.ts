import assert from 'node:assert/strict';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { NodeError } from '../../src/nodes/node-definition';
import { getNodeDefinition } from '../../src/nodes/registry';
import { llmNode } from '../../src/nodes/types/llm';
import { makeNodeContext, renderedData, type NodeContextOverrides } from '../helpers/node-context';

const API_KEY = 'sk-test-0123456789';

interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

type Reply = { status?: number; headers?: http.OutgoingHttpHeaders; body: unknown };

function completion(content: unknown, extra: Record<string, unknown> = {}) {
  return {
    body: {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'fake-model-2024',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
      ...extra,
    },
  };
}

describe('llm node', () => {
  let server: http.Server;
  let baseUrl: string;
  const seen: Seen[] = [];
  let reply: (req: Seen) => Reply = () => completion('hello');

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const entry: Seen = {
          method: req.method!,
          path: req.url!,
          headers: req.headers,
          body: text ? JSON.parse(text) : null,
        };
        seen.push(entry);
        const { status = 200, headers = {}, body } = reply(entry);
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    seen.length = 0;
    reply = () => completion('hello');
  });

  function context(overrides: NodeContextOverrides = {}) {
    return makeNodeContext({
      ...overrides,
      services: {
        httpAllowedHosts: ['127.0.0.1'],
        llm: { baseUrl, apiKey: API_KEY, model: 'default-model' },
        ...overrides.services,
      },
    });
  }

  async function run(data: Record<string, unknown>, overrides?: NodeContextOverrides) {
    const ctx = context(overrides);
    const out = await llmNode.execute!(renderedData(llmNode, data), ctx);
    return { ctx, output: out.output as { result: any; model: string; usage: any; finish_reason: string } };
  }

  async function failure(
    data: Record<string, unknown>,
    overrides?: NodeContextOverrides,
  ): Promise<NodeError> {
    try {
      await run(data, overrides);
    } catch (err) {
      assert.ok(err instanceof NodeError, `expected a NodeError, got ${String(err)}`);
      return err;
    }
    assert.fail('expected the call to fail');
  }

  it('POSTs a chat completion with the bearer key and outputs the answer', async () => {
    const { output } = await run({
      prompt: 'Summarise: a b c',
      system: 'Be brief.',
      temperature: 0.3,
      max_tokens: 50,
      provider: 'deepseek',
    });
    assert.deepEqual(output, {
      result: 'hello',
      model: 'fake-model-2024',
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
      finish_reason: 'stop',
    });
    assert.equal(seen.length, 1);
    assert.equal(seen[0].method, 'POST');
    assert.equal(seen[0].path, '/v1/chat/completions');
    assert.equal(seen[0].headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(seen[0].headers['content-type'], 'application/json');
    assert.deepEqual(seen[0].body, {
      model: 'default-model',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Summarise: a b c' },
      ],
      temperature: 0.3,
      max_tokens: 50,
    });
  });

  it("uses the node's model, sends rendered objects as JSON and numeric strings as numbers", async () => {
    await run({ prompt: { devices: [1, 2] }, model: 'deepseek-chat', temperature: '0.5', max_tokens: '10' });
    const body = seen[0].body;
    assert.equal(body.model, 'deepseek-chat');
    assert.deepEqual(JSON.parse(body.messages[0].content), { devices: [1, 2] });
    assert.equal(body.temperature, 0.5);
    assert.equal(body.max_tokens, 10);
    assert.equal(body.response_format, undefined);
  });

  it('sends no Authorization header when no API key is configured', async () => {
    await run({ prompt: 'hi' }, { services: { llm: { baseUrl, model: 'm' } } });
    assert.equal(seen[0].headers.authorization, undefined);
  });

  it('asks for JSON and parses the answer in json mode, also inside a code fence', async () => {
    reply = () => completion('{"status":"ok","count":3}');
    const { output } = await run({ prompt: 'Give JSON', response_format: 'json' });
    assert.deepEqual(seen[0].body.response_format, { type: 'json_object' });
    assert.deepEqual(output.result, { status: 'ok', count: 3 });

    reply = () => completion('```json\n{"fenced": true}\n```');
    assert.deepEqual((await run({ prompt: 'Give JSON', response_format: 'json' })).output.result, {
      fenced: true,
    });
  });

  it('fails on invalid JSON in json mode: retryable, unless the answer was cut off', async () => {
    reply = () => completion('not json');
    const sampled = await failure({ prompt: 'x', response_format: 'json' });
    assert.equal(sampled.options.type, 'InvalidLlmJson');
    assert.equal(sampled.options.retryable, true);

    reply = () => ({
      body: { model: 'm', choices: [{ message: { content: '{"a": [1, 2' }, finish_reason: 'length' }] },
    });
    const truncated = await failure({ prompt: 'x', response_format: 'json' });
    assert.equal(truncated.options.retryable, false);
    assert.match(truncated.message, /max_tokens/);
  });

  it('makes 429 and 5xx retryable, honouring Retry-After', async () => {
    reply = () => ({
      status: 429,
      headers: { 'retry-after': '7' },
      body: { error: { message: 'Rate limit reached' } },
    });
    const limited = await failure({ prompt: 'x' });
    assert.equal(limited.options.retryable, true);
    assert.equal(limited.options.nextRetryDelayMs, 7_000);
    assert.match(limited.message, /HTTP 429: Rate limit reached/);

    reply = () => ({ status: 503, body: 'upstream down' });
    const down = await failure({ prompt: 'x' });
    assert.equal(down.options.retryable, true);
    assert.equal(down.options.nextRetryDelayMs, undefined);
    assert.equal((down.options.details as { status: number }).status, 503);
  });

  it('makes other 4xx non-retryable and never leaks the API key', async () => {
    reply = () => ({ status: 401, body: { error: { message: `Incorrect API key provided: ${API_KEY}` } } });
    const err = await failure({ prompt: 'x' });
    assert.equal(err.options.retryable, false);
    assert.equal(err.options.type, 'LlmHttpError');
    assert.doesNotMatch(
      JSON.stringify({ message: err.message, details: err.options.details }),
      new RegExp(API_KEY),
    );

    reply = () => ({ status: 400, body: { error: { message: 'bad request' } } });
    assert.equal((await failure({ prompt: 'x' })).options.retryable, false);
  });

  it('rejects a 200 that is not a chat completion', async () => {
    reply = () => ({ body: '<html>login</html>', headers: { 'content-type': 'text/html' } });
    const err = await failure({ prompt: 'x' });
    assert.equal(err.options.type, 'InvalidLlmResponse');
    assert.equal(err.options.retryable, false);
  });

  it('fails non-retryably when LLM_BASE_URL is not configured', async () => {
    const err = await failure({ prompt: 'x' }, { services: { llm: { model: 'm' } } });
    assert.equal(err.message, 'LLM_BASE_URL is not configured');
    assert.equal(err.options.retryable, false);
  });

  it('refuses a loopback LLM host that is not in HTTP_ALLOWED_HOSTS', async () => {
    const err = await failure({ prompt: 'x' }, { services: { httpAllowedHosts: [] } });
    assert.equal(err.options.type, 'AddressBlocked');
    assert.equal(err.options.retryable, false);
    assert.equal(seen.length, 0);
  });

  it('logs model, duration and usage at info, never the key or the prompt', async () => {
    const secret = 'the secret plan is to ship on friday';
    const { ctx } = await run({ prompt: secret });
    const info = ctx.logs.filter((l) => l.level === 'info');
    assert.equal(info.length, 1);
    assert.equal(info[0].meta!.model, 'fake-model-2024');
    assert.equal(typeof info[0].meta!.duration_ms, 'number');
    assert.deepEqual(info[0].meta!.usage, { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
    const logged = JSON.stringify(ctx.logs.filter((l) => l.level !== 'debug'));
    assert.doesNotMatch(logged, /secret plan/);
    assert.doesNotMatch(JSON.stringify(ctx.logs), new RegExp(API_KEY));
  });

  describe('with an openai credential', () => {
    const CRED_KEY = 'sk-cred-abcdef987654';
    const openai = (data: Record<string, unknown>) => ({
      credential: () => ({ id: 'c1', name: 'openai-prod', type: 'openai', data: { api_key: CRED_KEY, ...data } }),
    });

    it("uses the credential's key, base URL, model and organization instead of the LLM_* settings", async () => {
      const { output } = await run(
        { prompt: 'hi', credential: 'openai-prod' },
        { ...openai({ base_url: baseUrl, model: 'cred-model', organization: 'org-1' }), services: { llm: { baseUrl: 'http://llm.invalid/v1', apiKey: API_KEY, model: 'm' } } },
      );
      assert.equal(output.result, 'hello');
      assert.equal(seen[0].headers.authorization, `Bearer ${CRED_KEY}`);
      assert.equal(seen[0].headers['openai-organization'], 'org-1');
      assert.equal(seen[0].body.model, 'cred-model');
    });

    it("falls back to LLM_BASE_URL and LLM_MODEL, never sending the deployment's key", async () => {
      await run({ prompt: 'hi', credential: 'openai-prod' }, openai({}));
      assert.equal(seen[0].headers.authorization, `Bearer ${CRED_KEY}`);
      assert.equal(seen[0].body.model, 'default-model');

      const err = await failure({ prompt: 'x' }, { ...openai({}), services: { llm: { model: 'm' } } });
      assert.equal(err.message, 'credential "openai-prod" has no base_url and LLM_BASE_URL is not configured');
      assert.equal(err.options.retryable, false);
    });

    it("removes the credential's key from error bodies", async () => {
      reply = () => ({ status: 401, body: { error: { message: `Incorrect API key provided: ${CRED_KEY}` } } });
      const err = await failure({ prompt: 'x' }, openai({ base_url: baseUrl }));
      assert.doesNotMatch(JSON.stringify({ message: err.message, details: err.options.details }), new RegExp(CRED_KEY));
    });
  });

  it('validates data and is registered under the seed spellings', () => {
    assert.equal(llmNode.dataSchema.safeParse({ prompt: 'x', temperature: 2.5 }).success, false);
    assert.equal(llmNode.dataSchema.safeParse({ prompt: '' }).success, false);
    assert.equal(llmNode.dataSchema.safeParse({ prompt: 'x', temperature: '{{ vars.t }}' }).success, true);
    assert.equal(llmNode.dataSchema.safeParse({ prompt: 'x', surprise: 1 }).success, false);
    const seed001 = {
      provider: 'deepseek',
      model: 'deepseek-chat',
      prompt: '请回答:{input}',
      temperature: 0.7,
      max_tokens: 1000,
    };
    assert.equal(llmNode.dataSchema.safeParse(seed001).success, true);
    for (const alias of ['ai-generate', 'ai_generate', 'ai'])
      assert.equal(getNodeDefinition(alias), llmNode, alias);
  });
});
