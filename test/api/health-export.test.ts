/**
 * Seed fidelity of two small contracts: `GET /health` carries the package version (seed 004), and
 * `GET /workflows/{id}/export?format=` takes only the formats it can write (seed 000's `python`
 * is refused, not answered with JSON).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { EXPORT_FORMATS } from '../../src/api/schemas/export-query';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

const FLOW = {
  name: 'exported',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'end', type: 'end', data: { output: { ok: true } } },
  ],
  edges: [{ source: 'start', target: 'end' }],
};

describe('health version and export formats', function () {
  this.timeout(60_000);
  let tp: TestPlatform;
  let token: string;
  let flowId: string;

  before(async () => {
    tp = await startTestPlatform();
    token = (await tp.login()).token;
    flowId = (await tp.api('POST', '/api/v1/workflows', FLOW, token)).body.id;
  });
  after(async () => tp?.stop());

  it('GET /health carries the version of package.json', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
    const r = await tp.api('GET', '/health');
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ok');
    assert.equal(r.body.version, pkg.version);
    assert.match(r.body.version, /^\d+\.\d+\.\d+/);
  });

  it('exports json by default and with format=json', async () => {
    const plain = await tp.api('GET', `/api/v1/workflows/${flowId}/export`, undefined, token);
    const json = await tp.api('GET', `/api/v1/workflows/${flowId}/export?format=json`, undefined, token);
    for (const r of [plain, json]) {
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(r.body.workflow.name, 'exported');
      assert.equal(r.body.format_version, 1);
    }
    assert.deepEqual(json.body.workflow, plain.body.workflow);
  });

  it('refuses any other format with 400 naming the supported ones', async () => {
    for (const format of ['python', 'JSON', 'yaml', '', 'json%00']) {
      const r = await tp.api('GET', `/api/v1/workflows/${flowId}/export?format=${format}`, undefined, token);
      assert.equal(r.status, 400, `format=${format}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'BAD_REQUEST');
      for (const supported of EXPORT_FORMATS) assert.match(r.body.error.details.format, new RegExp(supported), JSON.stringify(r.body));
    }
    const twice = await tp.api('GET', `/api/v1/workflows/${flowId}/export?format=json&format=json`, undefined, token);
    assert.equal(twice.status, 400);
  });
});
