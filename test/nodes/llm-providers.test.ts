import assert from 'node:assert/strict';
import { type NodeError } from '../../src/nodes/node-definition';
import { LLM_PROVIDERS, resolveEndpoint } from '../../src/nodes/llm/providers';
import { llmNode } from '../../src/nodes/types/llm';
import { chain, startTestEngine, type TestEngine } from '../helpers/engine';
import { completion, startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import { makeNodeContext, renderedData, type NodeContextOverrides } from '../helpers/node-context';

const KEY = 'sk-deepseek-0123456789';
const openai = (data: Record<string, unknown>) => () => ({ id: 'c1', name: 'ds', type: 'openai', data: { api_key: KEY, ...data } });

describe('llm node: providers, messages and JSON schema output', () => {
  let fake: FakeOpenAi;

  before(async () => {
    fake = await startFakeOpenAi();
  });
  after(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
    fake.reply = () => completion('hello');
  });

  function context(overrides: NodeContextOverrides = {}) {
    return makeNodeContext({
      ...overrides,
      services: { httpAllowedHosts: ['127.0.0.1'], llm: { baseUrl: fake.url, apiKey: 'sk-deployment-key', model: 'default-model' }, ...overrides.services },
    });
  }

  async function run(data: Record<string, unknown>, overrides?: NodeContextOverrides) {
    return (await llmNode.execute!(renderedData(llmNode, data), context(overrides))).output as any;
  }

  describe('which endpoint and key a call uses', () => {
    const endpoint = (provider: string | undefined, overrides: NodeContextOverrides = {}) => resolveEndpoint({ provider }, context(overrides));

    it('maps a named provider to its base URL and default model when a credential brings the key', () => {
      assert.deepEqual(endpoint('deepseek', { credential: openai({}) }), {
        baseUrl: 'https://api.deepseek.com/v1',
        apiKey: KEY,
        model: 'deepseek-chat',
        organization: undefined,
      });
      assert.equal(endpoint('qwen', { credential: openai({}) }).baseUrl, LLM_PROVIDERS.qwen.base_url);
      assert.equal(endpoint('OpenAI', { credential: openai({}) }).baseUrl, 'https://api.openai.com/v1');
    });

    it("lets the credential's base_url and model win over the provider", () => {
      const e = endpoint('deepseek', { credential: openai({ base_url: 'https://gateway.example/v1', model: 'm1' }) });
      assert.equal(e.baseUrl, 'https://gateway.example/v1');
      assert.equal(e.model, 'm1');
    });

    it("never sends the deployment's key anywhere but LLM_BASE_URL", () => {
      // Without a credential the deployment's endpoint serves a named provider (imported seed flows run on it)…
      assert.deepEqual(endpoint('deepseek'), { baseUrl: fake.url, apiKey: 'sk-deployment-key', model: 'default-model', organization: undefined });
      // …a provider given as a URL is called without a key…
      assert.equal(endpoint('http://127.0.0.1:9/v1').apiKey, undefined);
      // …and without LLM_BASE_URL a keyless provider is called directly, a keyed one refuses to run.
      const bare = { services: { llm: { model: 'm' } } } as NodeContextOverrides;
      assert.deepEqual(endpoint('ollama', bare), { baseUrl: 'http://localhost:11434/v1', apiKey: undefined, model: 'm', organization: undefined });
      assert.throws(() => endpoint('deepseek', bare), (err: NodeError) => err.options.retryable === false && /needs an API key/.test(err.message));
    });

    it('refuses an unknown provider when the flow is saved', () => {
      const bad = llmNode.dataSchema.safeParse({ prompt: 'x', provider: 'anthropic' });
      assert.equal(bad.success, false);
      assert.match(bad.error!.issues[0].message, /^Unknown provider "anthropic": use one of deepseek, ollama, openai, qwen/);
      assert.equal(llmNode.dataSchema.safeParse({ prompt: 'x', provider: '{{ input.provider }}' }).success, true);
      assert.equal(llmNode.dataSchema.safeParse({ prompt: 'x', provider: 'https://llm.example/v1' }).success, true);
    });
  });

  it('sends provider deepseek to the base URL of its credential, with its key and the default model', async () => {
    const out = await run({ prompt: 'hi', provider: 'deepseek', credential: 'ds' }, { credential: openai({ base_url: fake.url }) });
    assert.equal(out.result, 'hello');
    assert.equal(fake.requests.length, 1);
    assert.equal(fake.requests[0].path, '/v1/chat/completions');
    assert.equal(fake.requests[0].headers.authorization, `Bearer ${KEY}`);
    assert.equal(fake.requests[0].body.model, 'deepseek-chat');
  });

  it("sends only the request's own headers (no SDK platform headers)", async () => {
    await run({ prompt: 'hi' });
    const names = Object.keys(fake.requests[0].headers).filter((h) => !['host', 'connection', 'content-length'].includes(h));
    assert.deepEqual(names.sort(), ['accept', 'authorization', 'content-type', 'user-agent']);
  });

  it('sends system, earlier messages and the prompt in that order', async () => {
    await run({
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'What is 2+2?' },
        { role: 'assistant', content: '4' },
      ],
      prompt: 'And times 3?',
    });
    assert.deepEqual(fake.requests[0].body.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is 2+2?' },
      { role: 'assistant', content: '4' },
      { role: 'user', content: 'And times 3?' },
    ]);
    assert.equal(llmNode.dataSchema.safeParse({ messages: '{{ input.history }}' }).success, true);
    assert.equal(llmNode.dataSchema.safeParse({ system: 'only a system message' }).success, false);
  });

  it('asks for a JSON schema and checks the answer against it', async () => {
    const schema = { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] };
    fake.reply = () => completion('{"status":"ok"}');
    const out = await run({ prompt: 'x', response_format: 'json_schema', json_schema: schema });
    assert.deepEqual(fake.requests[0].body.response_format, { type: 'json_schema', json_schema: { name: 'result', schema, strict: false } });
    assert.deepEqual(out.result, { status: 'ok' });

    fake.reply = () => completion('{"state":"ok"}');
    await assert.rejects(run({ prompt: 'x', response_format: 'json_schema', json_schema: schema }), (err: NodeError) => {
      assert.equal(err.options.type, 'InvalidLlmJson');
      assert.equal(err.options.retryable, true);
      assert.match(err.message, /result: must have required property 'status'/);
      return true;
    });
    assert.equal(llmNode.dataSchema.safeParse({ prompt: 'x', response_format: 'json_schema' }).success, false);
    assert.equal(llmNode.dataSchema.safeParse({ prompt: 'x', response_format: 'json_schema', json_schema: { type: 'nonsense' } }).success, false);
    const native = { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } };
    assert.equal(llmNode.dataSchema.safeParse({ prompt: 'x', response_format: native }).success, true);
  });

  describe('retries through Temporal', function () {
    this.timeout(60_000);
    let engine: TestEngine;
    before(async () => {
      engine = await startTestEngine();
    });
    after(() => engine?.stop());

    const flow = (retry: Record<string, number> = {}) =>
      chain([{ id: 'ask', type: 'llm', data: { prompt: 'hi', provider: fake.url }, retry: { initial_interval_ms: 100, ...retry } }], '{{ ask.result }}');

    it("retries a 429 after the provider's Retry-After, once", async () => {
      fake.reply = (_req, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'slow down' } } } : completion('after the wait'));
      const result = await engine.run(flow());
      assert.equal(result.status, 'completed', JSON.stringify(result));
      assert.equal(result.output, 'after the wait');
      assert.equal(fake.requests.length, 2);
      // The node's own backoff is 100 ms: the second second is the provider's.
      assert.ok(fake.requests[1].at - fake.requests[0].at >= 900, `${fake.requests[1].at - fake.requests[0].at} ms`);
      assert.equal(result.steps.find((s) => s.node_id === 'ask')!.attempt, 2);
    });

    it('does not retry a 400', async () => {
      fake.reply = () => ({ status: 400, body: { error: { message: 'bad model' } } });
      await assert.rejects(engine.run(flow({ max_attempts: 5 })), (err: Error) => /HTTP 400: bad model/.test(String(err.cause)));
      assert.equal(fake.requests.length, 1);
    });
  });
});
