/**
 * Seed 000's catalogue fields: every node type of `GET /api/v1/node-types` carries
 * `example_usage: {input, output}`, the output as a node with that input would give it.
 */
import assert from 'node:assert/strict';
import { getNodeDefinition, listNodeDefinitions } from '../../src/nodes/registry';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

describe('node catalogue: example_usage (seed 000)', function () {
  this.timeout(60_000);
  let tp: TestPlatform;
  let token: string;

  before(async () => {
    tp = await startTestPlatform();
    token = (await tp.login()).token;
  });
  after(async () => tp?.stop());

  it('gives every node type an example input and output that fit its schemas', async () => {
    const r = await tp.api('GET', '/api/v1/node-types', undefined, token);
    assert.equal(r.status, 200);
    assert.equal(r.body.total, listNodeDefinitions().length);
    const problems: string[] = [];
    for (const t of r.body.items) {
      const def = getNodeDefinition(t.type)!;
      const usage = t.example_usage;
      if (!usage || typeof usage !== 'object') {
        problems.push(`${t.type}: no example_usage`);
        continue;
      }
      assert.deepEqual(usage.input, t.example, `${t.type}: the input is the example data`);
      const input = def.dataSchema.safeParse(usage.input);
      if (!input.success) problems.push(`${t.type}: example input does not fit the data schema: ${input.error.message}`);
      if (usage.output === null || typeof usage.output !== 'object') {
        problems.push(`${t.type}: no example output (add exampleOutput to its definition)`);
        continue;
      }
      const output = def.outputSchema.safeParse(usage.output);
      if (!output.success) problems.push(`${t.type}: example output does not fit the output schema: ${output.error.message}`);
      // Every node output is an object whose `result` is its main value (terminate has none).
      if (def.ports.length > 0 && !Object.hasOwn(usage.output, 'result')) problems.push(`${t.type}: example output has no result`);
    }
    assert.deepEqual(problems, []);
  });

  it('shows one type’s example input and output as seed 000 does', async () => {
    const r = await tp.api('GET', '/api/v1/node-types/http_request', undefined, token);
    assert.equal(r.status, 200);
    assert.equal(r.body.type, 'http-request');
    assert.equal(r.body.example_usage.input.url, 'https://api.example.com/items');
    assert.equal(r.body.example_usage.output.status, 200);
    assert.ok(r.body.example_usage.output.headers['content-type']);
    const list = await tp.api('GET', '/api/v1/node-types', undefined, token);
    assert.deepEqual(
      list.body.node_types.find((t: any) => t.type === 'http-request').example_usage,
      r.body.example_usage,
    );
  });
});
