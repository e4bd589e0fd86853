import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getNodeDefinition } from '../../src/nodes/registry';
import { agentNode } from '../../src/nodes/types/agent';
import { chain, startTestEngine, type TestEngine } from '../helpers/engine';
import { completion, startFakeOpenAi, toolCalls, type FakeOpenAi } from '../helpers/fake-openai';

/** Activity ids and summaries of the scheduled activities of a run, in order. */
async function scheduled(engine: TestEngine, workflowId: string): Promise<{ id: string; type: string; summary?: string }[]> {
  const history = await engine.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => {
      const payload = e.userMetadata?.summary?.data;
      return {
        id: e.activityTaskScheduledEventAttributes!.activityId!,
        type: e.activityTaskScheduledEventAttributes!.activityType!.name!,
        summary: payload ? JSON.parse(Buffer.from(payload).toString('utf8')) : undefined,
      };
    });
}

describe('agent node', function () {
  this.timeout(60_000);
  let engine: TestEngine;
  let fake: FakeOpenAi;
  let server: http.Server;
  let base: string;
  let fetched = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      fetched++;
      if (req.url === '/gone') return res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"gone"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ devices: [{ id: 'd1', status: 'online' }, { id: 'd2', status: 'offline' }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    fake = await startFakeOpenAi();
    engine = await startTestEngine();
  });
  after(async () => {
    await engine?.stop();
    await fake?.close();
    server?.closeAllConnections();
    server?.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fetched = 0;
  });

  const agentFlow = (data: Record<string, unknown>, node: Record<string, unknown> = {}) =>
    chain([{ id: 'ask', type: 'agent', label: 'Inspector', data: { provider: fake.url, ...data }, retry: { initial_interval_ms: 100 }, ...node }], '{{ ask }}');

  it('runs a scripted three-tool conversation, one activity per model call and per tool call', async () => {
    fake.reply = (_req, n) => {
      if (n === 1) return toolCalls([['call_math', 'math', { expression: '6*7' }], ['call_fetch', 'http_fetch', { url: `${base}/devices` }]]);
      if (n === 2) return toolCalls([['call_path', 'json_path', { data: { devices: [{ id: 'd2', status: 'offline' }] }, expression: 'data.devices[status="offline"].id' }]]);
      return completion('d2 is offline; 6*7 = 42');
    };
    const h = await engine.start(
      agentFlow({ system: 'You inspect devices.', prompt: 'Which devices are offline? Also, what is 6*7?', tools: ['math', 'http_fetch', 'json_path'] }),
    );
    const { output } = (await h.result()) as { output: any };
    assert.equal(output.result, 'd2 is offline; 6*7 = 42');
    assert.equal(output.iterations, 3);
    assert.deepEqual(
      output.tool_calls.map((c: any) => [c.iteration, c.id, c.tool, c.output]),
      [
        [1, 'call_math', 'math', { result: 42 }],
        [1, 'call_fetch', 'http_fetch', { status: 200, url: `${base}/devices`, body: { devices: [{ id: 'd1', status: 'online' }, { id: 'd2', status: 'offline' }] } }],
        [2, 'call_path', 'json_path', 'd2'],
      ],
    );
    assert.deepEqual(output.usage, { prompt_tokens: 52, completion_tokens: 25, total_tokens: 77 });
    assert.deepEqual(output.messages.map((m: any) => m.role), ['system', 'user', 'assistant', 'tool', 'tool', 'assistant', 'tool', 'assistant']);

    assert.equal(fake.requests.length, 3);
    assert.equal(fetched, 1);
    const first = fake.requests[0].body;
    assert.deepEqual(first.tools.map((t: any) => t.function.name), ['math', 'http_fetch', 'json_path']);
    assert.equal(first.tools[1].function.parameters.required[0], 'url');
    const third = fake.requests[2].body.messages;
    assert.deepEqual(third.slice(-1)[0], { role: 'tool', tool_call_id: 'call_path', content: '"d2"' });
    assert.equal(third[3].tool_call_id, 'call_math');

    assert.deepEqual(await scheduled(engine, h.workflowId), [
      { id: 'ask/model-1', type: 'llmChat', summary: 'agent Inspector: model call 1' },
      { id: 'ask/tool-1-call_math', type: 'toolCall', summary: 'tool math' },
      { id: 'ask/tool-1-call_fetch', type: 'toolCall', summary: 'tool http_fetch' },
      { id: 'ask/model-2', type: 'llmChat', summary: 'agent Inspector: model call 2' },
      { id: 'ask/tool-2-call_path', type: 'toolCall', summary: 'tool json_path' },
      { id: 'ask/model-3', type: 'llmChat', summary: 'agent Inspector: model call 3' },
    ]);
  });

  it('reports failing, unknown and malformed tool calls to the model instead of failing', async () => {
    fake.reply = (_req, n) =>
      n === 1
        ? toolCalls([
            ['c1', 'http_fetch', { url: `${base}/gone` }],
            ['c2', 'delete_everything', {}],
            ['c3', 'math', '{not json'],
            ['c4', 'math', { expression: 1 }],
          ])
        : completion('I could not do it');
    const { output } = (await engine.run(agentFlow({ prompt: 'try', tools: ['http_fetch', 'math'] }))) as { output: any };
    assert.equal(output.result, 'I could not do it');
    const errors = output.tool_calls.map((c: any) => c.error);
    assert.match(errors[0], /HTTP 404/);
    assert.match(errors[1], /tool "delete_everything" is not available to this agent; it may call: http_fetch, math/);
    assert.match(errors[2], /arguments are not valid JSON/);
    assert.match(errors[3], /input\.expression: must be string/);
    const toolMessages = fake.requests[1].body.messages.filter((m: any) => m.role === 'tool');
    assert.deepEqual(toolMessages.map((m: any) => m.tool_call_id), ['c1', 'c2', 'c3', 'c4']);
    assert.deepEqual(Object.keys(JSON.parse(toolMessages[0].content)), ['error']);
    // A 404 is not retried; only the two calls that reached an activity ran one.
    assert.equal(fetched, 1);
  });

  it('parses a JSON final answer and fails once max_iterations model calls still want tools', async () => {
    fake.reply = () => completion('{"offline": ["d2"]}');
    const { output } = (await engine.run(agentFlow({ prompt: '{{ input }}', response_format: 'json' }), { devices: ['d2'] })) as { output: any };
    assert.deepEqual(output.result, { offline: ['d2'] });
    // A prompt whose template gives an object reaches the model as JSON text.
    assert.deepEqual(JSON.parse(fake.requests[0].body.messages[0].content), { devices: ['d2'] });
    assert.deepEqual(fake.requests[0].body.response_format, { type: 'json_object' });
    assert.equal(fake.requests[0].body.tools, undefined);

    fake.requests.length = 0;
    fake.reply = (_req, n) => toolCalls([[`loop${n}`, 'math', { expression: '1+1' }]]);
    await assert.rejects(engine.run(agentFlow({ prompt: 'loop', tools: ['math'], max_iterations: 2 })), (err: Error) => {
      assert.match(String(err.cause), /did not finish within max_iterations \(2 model calls\)/);
      return true;
    });
    assert.equal(fake.requests.length, 2);
  });

  it('retries a model call the provider rate-limits, as its own activity', async () => {
    fake.reply = (_req, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '0' }, body: { error: { message: 'slow down' } } } : completion('done'));
    const { output } = (await engine.run(agentFlow({ prompt: 'hi' }))) as { output: any };
    assert.equal(output.result, 'done');
    assert.equal(fake.requests.length, 2);
  });

  it("accepts seed 004's spelling and checks its data when the flow is saved", () => {
    const seed = agentNode.dataSchema.parse({
      system_prompt: 'You are helpful.',
      prompt: 'hi',
      model_config: { provider: 'openai', model_name: 'deepseek-v4-pro', temperature: 0.8 },
      iteration_limit: 15,
      include_tools: ['http_fetch'],
    }) as any;
    assert.deepEqual(
      [seed.system, seed.provider, seed.model, seed.temperature, seed.max_iterations, seed.tools],
      ['You are helpful.', 'openai', 'deepseek-v4-pro', 0.8, 15, ['http_fetch']],
    );
    assert.equal(agentNode.dataSchema.safeParse({ tools: ['math'] }).success, false);
    assert.equal(agentNode.dataSchema.safeParse({ prompt: 'x', max_iterations: 500 }).success, false);
    assert.equal(agentNode.dataSchema.safeParse({ prompt: 'x', tools: ['no spaces allowed'] }).success, false);
    assert.equal(getNodeDefinition('ai_agent'), agentNode);
    assert.equal(agentNode.kind, 'control');
  });
});
