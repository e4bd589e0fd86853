/**
 * Every example flow in docs/flow-format.md runs as the guide says: each ```json block is created
 * through the API and executed with the input written under it, and its output is checked.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

interface Example {
  flow: { name: string };
  run: { input?: unknown; output?: unknown; output_has?: Record<string, unknown> };
}

/** The guide's examples: a `json` code block followed by `<!-- run: {...} -->`. */
function examples(): Example[] {
  const text = fs.readFileSync(path.resolve(__dirname, '../../docs/flow-format.md'), 'utf8');
  const found: Example[] = [];
  const block = /```json\n([\s\S]*?)\n```\n<!-- run: (.*?) -->/g;
  for (let m = block.exec(text); m; m = block.exec(text)) found.push({ flow: JSON.parse(m[1]), run: JSON.parse(m[2]) });
  const blocks = text.match(/```json\n/g)?.length ?? 0;
  assert.equal(found.length, blocks, 'every json block of the guide says how it runs');
  return found;
}

describe('docs/flow-format.md examples', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let token: string;
  before(async () => {
    tp = await startTestPlatform();
    token = (await tp.login()).token;
  });
  after(() => tp?.stop());

  const all = examples();
  it('has examples', () => assert.ok(all.length >= 8, `${all.length} examples`));
  for (const { flow, run } of all) {
    it(`runs "${flow.name}" as written`, async () => {
      const created = await tp.api('POST', '/api/v1/workflows', flow, token);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const r = await tp.api('POST', `/api/v1/workflows/${created.body.id}/execute`, { input_data: run.input ?? {}, wait: true, timeout_ms: 30_000 }, token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status, 'completed', JSON.stringify(r.body.error));
      if ('output' in run) assert.deepEqual(r.body.output_data, run.output);
      for (const [key, value] of Object.entries(run.output_has ?? {})) assert.deepEqual(r.body.output_data[key], value, key);
    });
  }
});
