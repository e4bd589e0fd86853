/**
 * Seeds 001 and 002 through the HTTP API: their example flows import unchanged and validate, seed
 * 001's flows run end to end against a fake OpenAI-compatible server, and the seed-only spellings
 * (input/output nodes, single-brace placeholders, loop fields, status=running|stopped) behave as
 * documented in docs/flow-format.md and docs/api-flows.md.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { completion, startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

const V1 = '/api/v1';

/** A seed's example flow, as the seed text writes it. */
function seed(name: string): any {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'seeds', name), 'utf8'));
}

describe('seed fidelity (seeds 001 and 002) through the API', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let token: string;
  let llm: FakeOpenAi;
  let devices: http.Server;
  let devicesUrl: string;

  before(async () => {
    llm = await startFakeOpenAi(() => completion('一段总结'));
    devices = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ devices: [{ id: 'd1', status: 'online' }] }));
    });
    await new Promise<void>((resolve) => devices.listen(0, '127.0.0.1', resolve));
    devicesUrl = `http://127.0.0.1:${(devices.address() as AddressInfo).port}/devices`;
    tp = await startTestPlatform({ LLM_BASE_URL: llm.url });
    await tp.login(); // the first user is the admin; the tests use a regular user
    token = (await tp.login()).token;
  });
  after(async () => {
    await tp?.stop();
    await llm?.close();
    devices?.close();
  });

  const execute = async (id: string, input: unknown) => {
    const r = await tp.api('POST', `${V1}/workflows/${id}/execute`, { input_data: input, wait: true }, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const warningsOf = (body: any, code: string) => (body.warnings ?? []).filter((w: any) => w.code === code);

  describe("seed 001's complete example flow", () => {
    it('imports unchanged, with {input} stored as {{ input }} and a warning saying so, and validates without errors', async () => {
      const flow = seed('001-text-processing.json');
      const validated = await tp.api('POST', `${V1}/workflows/validate`, flow, token);
      assert.equal(validated.status, 200);
      assert.deepEqual(validated.body.errors, []);
      assert.equal(validated.body.valid, true);

      const imported = await tp.api('POST', `${V1}/workflows/import`, flow, token);
      assert.equal(imported.status, 201, JSON.stringify(imported.body));
      const llmNode = imported.body.nodes.find((n: any) => n.id === 'llm-1');
      assert.equal(llmNode.data.prompt, '请总结以下文本:{{ input }}');
      assert.equal(llmNode.label, 'LLM处理');
      assert.deepEqual(
        warningsOf(imported.body, 'SEED_PLACEHOLDER_REWRITTEN').map((w: any) => [w.path, w.before, w.after]),
        [['nodes[1].data.prompt', '请总结以下文本:{input}', '请总结以下文本:{{ input }}']],
      );
      // Every warning a seed flow gets is one the docs explain.
      const docs = readFileSync(join(__dirname, '..', '..', 'docs', 'api-flows.md'), 'utf8');
      for (const w of [...imported.body.warnings, ...validated.body.warnings]) assert.ok(docs.includes(`\`${w.code}\``), `${w.code} is not in docs/api-flows.md`);

      // POST /workflows takes it as written too.
      const created = await tp.api('POST', `${V1}/workflows`, flow, token);
      assert.equal(created.status, 201, JSON.stringify(created.body));
    });

    it('runs end to end against an OpenAI-compatible server: the model gets the rendered prompt, the run completes', async () => {
      const imported = await tp.api('POST', `${V1}/workflows/import`, seed('001-text-processing.json'), token);
      const before = llm.requests.length;
      const run = await execute(imported.body.id, { text: '今天天气很好。' });
      assert.equal(run.status, 'completed', JSON.stringify(run));
      const sent = llm.requests.slice(before);
      assert.equal(sent.length, 1);
      assert.equal(sent[0].body.model, 'deepseek-chat');
      const prompt = sent[0].body.messages.at(-1).content;
      assert.equal(prompt, '请总结以下文本:{"text":"今天天气很好。"}');
      // The end node after the llm passes on the llm's output.
      assert.equal(run.output_data.result, '一段总结');
      const detail = await tp.api('GET', `${V1}/executions/${run.id}`, undefined, token);
      assert.deepEqual(
        detail.body.steps.map((s: any) => [s.node_id, s.status]),
        [
          ['start-1', 'completed'],
          ['llm-1', 'completed'],
          ['end-1', 'completed'],
        ],
      );
    });
  });

  describe("seed 001's node types and configs (start → input → llm → condition → loop → output → end)", () => {
    it('are accepted as the seed writes them, each rewrite reported, and run end to end', async () => {
      const created = await tp.api('POST', `${V1}/workflows`, seed('001-node-configs.json'), token);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const byId = Object.fromEntries(created.body.nodes.map((n: any) => [n.id, n]));
      assert.equal(byId['input-1'].type, 'input');
      assert.equal(byId['output-1'].type, 'output');
      assert.equal(byId['condition-1'].data.expression, 'input.value > 10');
      assert.equal(byId['loop-1'].data.items, '{{ input.items }}');
      assert.equal(byId['loop-1'].data.item_variable, 'item');
      assert.equal(byId['loop-1'].data.error_handling, 'continue');
      assert.deepEqual(
        created.body.warnings.filter((w: any) => w.code.startsWith('SEED_') || w.code === 'LOOP_WITHOUT_BODY').map((w: any) => [w.code, w.path, w.before, w.after]),
        [
          ['SEED_PLACEHOLDER_REWRITTEN', 'nodes[2].data.prompt', '请回答:{input}', '请回答:{{ input }}'],
          ['SEED_PLACEHOLDER_REWRITTEN', 'nodes[3].data.expression', '{value} > 10', 'input.value > 10'],
          ['SEED_LOOP_FIELD_MAPPED', 'nodes[4].data.items_path', 'items', '{{ input.items }}'],
          ['LOOP_WITHOUT_BODY', 'nodes[4].data', undefined, undefined],
        ],
      );

      const big = await execute(created.body.id, { value: 42, items: ['a', 'b'] });
      assert.equal(big.status, 'completed', JSON.stringify(big));
      // output-1 passes on loop-1's result, and end-1 after an output node ends with it as it is.
      assert.deepEqual(big.output_data, ['a', 'b']);
      const small = await execute(created.body.id, { value: 3, items: ['a'] });
      assert.equal(small.status, 'completed', JSON.stringify(small));
      assert.equal(small.output_data, false);
    });
  });

  describe('input and output nodes', () => {
    const flow = () => ({
      name: 'input and output',
      nodes: [
        { id: 'start', type: 'start' },
        {
          id: 'ask',
          type: 'input',
          data: {
            fields: [
              { name: 'question', type: 'string', required: true },
              { name: 'language', type: 'string', default: 'zh' },
            ],
          },
        },
        { id: 'answer', type: 'llm', data: { prompt: '{question} ({language})' } },
        { id: 'shape', type: 'output', data: { output: { answer: '{{ answer.result }}', language: '{{ input.language }}' } } },
        { id: 'end', type: 'end' },
      ],
      edges: [
        { source: 'start', target: 'ask' },
        { source: 'ask', target: 'answer' },
        { source: 'answer', target: 'shape' },
        { source: 'shape', target: 'end' },
      ],
    });

    it('declare the run input (defaults in input_data, 422 for what misses its fields) and shape the result', async () => {
      const created = await tp.api('POST', `${V1}/workflows`, flow(), token);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.nodes.find((n: any) => n.id === 'answer').data.prompt, '{{ input.question }} ({{ input.language }})');

      const missing = await tp.api('POST', `${V1}/workflows/${created.body.id}/execute`, { input_data: { language: 'en' } }, token);
      assert.equal(missing.status, 422, JSON.stringify(missing.body));
      assert.match(missing.body.error.details.input_data, /question/);
      const wrong = await tp.api('POST', `${V1}/workflows/${created.body.id}/execute`, { input_data: { question: 7 } }, token);
      assert.equal(wrong.status, 422);
      assert.equal(wrong.body.error.details['input_data.question'], 'must be string');

      const before = llm.requests.length;
      const run = await execute(created.body.id, { question: '为什么天是蓝的?' });
      assert.equal(run.status, 'completed', JSON.stringify(run));
      assert.deepEqual(run.input_data, { question: '为什么天是蓝的?', language: 'zh' });
      assert.deepEqual(run.output_data, { answer: '一段总结', language: 'zh' });
      assert.equal(llm.requests[before].body.messages.at(-1).content, '为什么天是蓝的? (zh)');
    });

    it('are types of their own in the catalogue, no longer spellings of start and end', async () => {
      for (const type of ['input', 'output']) {
        const r = await tp.api('GET', `${V1}/node-types/${type}`, undefined, token);
        assert.equal(r.status, 200);
        assert.equal(r.body.type, type);
      }
      const start = await tp.api('GET', `${V1}/node-types/start`, undefined, token);
      assert.deepEqual(start.body.aliases, []);
    });
  });

  describe('single-brace placeholders on PUT and PATCH', () => {
    it('are rewritten on every save, the answer saying where, what and into what; JSON and constructors are left alone', async () => {
      const created = await tp.api(
        'POST',
        `${V1}/workflows`,
        {
          name: 'placeholders',
          nodes: [
            { id: 'start', type: 'start' },
            { id: 'big', type: 'condition', data: { expression: 'input.value > 10' } },
          ],
          edges: [{ source: 'start', target: 'big' }],
        },
        token,
      );
      assert.equal(created.status, 201);
      assert.equal(warningsOf(created.body, 'SEED_PLACEHOLDER_REWRITTEN').length, 0);
      const id = created.body.id;

      const put = await tp.api(
        'PUT',
        `${V1}/workflows/${id}`,
        {
          name: 'placeholders',
          nodes: [
            { id: 'start', type: 'start' },
            { id: 'big', type: 'condition', data: { expression: '{value} > 10' } },
            { id: 'shape', type: 'transform', data: { expression: '{"value": input.value, "big": big.result}' } },
            { id: 'note', type: 'noop', data: { value: { json: '{"value": "{value}"}', text: 'value {value} of {big.result}' } } },
          ],
          edges: [
            { source: 'start', target: 'big' },
            { source: 'big', target: 'shape', source_handle: 'true' },
            { source: 'shape', target: 'note' },
          ],
        },
        token,
      );
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual(
        warningsOf(put.body, 'SEED_PLACEHOLDER_REWRITTEN').map((w: any) => [w.path, w.before, w.after]),
        [
          ['nodes[1].data.expression', '{value} > 10', 'input.value > 10'],
          ['nodes[3].data.value.text', 'value {value} of {big.result}', 'value {{ input.value }} of {{ big.result }}'],
        ],
      );
      const stored = (await tp.api('GET', `${V1}/workflows/${id}`, undefined, token)).body;
      assert.equal(stored.nodes[2].data.expression, '{"value": input.value, "big": big.result}');
      assert.equal(stored.nodes[3].data.value.json, '{"value": "{value}"}');

      const patched = await tp.api('PATCH', `${V1}/workflows/${id}`, { nodes: [...stored.nodes.slice(0, 3), { id: 'note', type: 'noop', data: { value: '{big}' } }], edges: stored.edges }, token);
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual(
        warningsOf(patched.body, 'SEED_PLACEHOLDER_REWRITTEN').map((w: any) => [w.path, w.before, w.after]),
        [['nodes[3].data.value', '{big}', '{{ big }}']],
      );
      const run = await execute(id, { value: 12 });
      assert.equal(run.status, 'completed', JSON.stringify(run));
      assert.deepEqual(run.output_data, { result: true });
    });
  });

  describe("seed 002's device-inspection flow", () => {
    it('imports unchanged (config, from/to, ai-generate, tool-call, cron trigger) and validates without errors once its tool exists', async () => {
      const tool = await tp.api(
        'POST',
        `${V1}/tools`,
        { name: 'iot_get_all_devices', description: 'Every device and its status', input_schema: { type: 'object' }, http: { method: 'GET', url: devicesUrl } },
        token,
      );
      assert.equal(tool.status, 201, JSON.stringify(tool.body));
      const flow = seed('002-daily-inspection.json');
      const validated = await tp.api('POST', `${V1}/workflows/validate`, flow, token);
      assert.deepEqual(validated.body.errors, []);

      const imported = await tp.api('POST', `${V1}/workflows/import`, flow, token);
      assert.equal(imported.status, 201, JSON.stringify(imported.body));
      assert.deepEqual(imported.body.trigger, { type: 'cron', schedule: '0 9 * * *' });
      assert.deepEqual(
        imported.body.nodes.map((n: any) => [n.id, n.type]),
        [
          ['fetch', 'tool-call'],
          ['analyze', 'llm'],
          ['notify', 'email-send'],
        ],
      );
      assert.deepEqual(imported.body.edges, [
        { source: 'fetch', target: 'analyze' },
        { source: 'analyze', target: 'notify' },
      ]);
      // Its templates are already double-brace: nothing to rewrite.
      assert.equal(warningsOf(imported.body, 'SEED_PLACEHOLDER_REWRITTEN').length, 0);
      const docs = readFileSync(join(__dirname, '..', '..', 'docs', 'api-flows.md'), 'utf8');
      for (const w of imported.body.warnings ?? []) assert.ok(docs.includes(`\`${w.code}\``), `${w.code} is not in docs/api-flows.md`);
      await tp.api('DELETE', `${V1}/workflows/${imported.body.id}`, undefined, token);
    });
  });

  describe('GET /workflows?status=running|stopped', () => {
    it('lists the flows whose trigger is live (enabled, not archived) as running, the others as stopped', async () => {
      const make = async (name: string, extra: Record<string, unknown>) => {
        const r = await tp.api('POST', `${V1}/workflows`, { name, nodes: [{ id: 'start', type: 'start' }], edges: [], ...extra }, token);
        assert.equal(r.status, 201, JSON.stringify(r.body));
        return r.body.id as string;
      };
      const tag = `st${Date.now()}`;
      const on = await make(`${tag} on`, {});
      const off = await make(`${tag} off`, { enabled: false });
      const archived = await make(`${tag} archived`, { status: 'archived' });
      const list = async (status: string) => {
        const r = await tp.api('GET', `${V1}/workflows?status=${status}&search=${tag}&sort_by=name&sort_order=asc`, undefined, token);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return r.body.items.map((f: any) => f.id);
      };
      assert.deepEqual(await list('running'), [on]);
      assert.deepEqual(await list('stopped'), [archived, off]);
      assert.deepEqual(await list('archived'), [archived]);
      // Stopping a flow (seed 002: PUT {enabled: false}) moves it.
      await tp.api('PATCH', `${V1}/workflows/${on}`, { enabled: false }, token);
      assert.deepEqual(await list('running'), []);
      assert.equal((await tp.api('GET', `${V1}/workflows?status=paused`, undefined, token)).status, 400);
    });
  });
});
