/**
 * `/api/v1/batch` (seed 004): many flows in one call, each item reported on its own, as its
 * single-item route would answer it.
 */
import assert from 'node:assert/strict';
import { MAX_BATCH_ITEMS } from '../../src/services/batch-service';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';

const flowBody = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  nodes: [
    { id: 'start', type: 'start', data: { input_schema: { type: 'object', properties: { n: { type: 'number' } } } } },
    { id: 'end', type: 'end', data: { output: { n: '{{ input.n }}', flow: name } } },
  ],
  edges: [{ source: 'start', target: 'end' }],
  ...extra,
});

describe('batch: /api/v1/batch', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let admin: string;
  let ada: { token: string; user: any };
  let bob: string;

  const flow = async (token: string, name: string) => {
    const r = await tp.api('POST', '/api/v1/workflows', flowBody(name), token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id as string;
  };

  before(async () => {
    tp = await startTestPlatform();
    admin = (await tp.login()).token;
    ada = await tp.login();
    bob = (await tp.login()).token;
  });
  after(async () => tp?.stop());

  it('executes each flow with the shared input and reports each run', async () => {
    const a = await flow(ada.token, 'a');
    const b = await flow(ada.token, 'b');
    const r = await tp.api('POST', '/api/v1/batch/execute', { workflow_ids: [a, b], input_data: { n: 7 } }, ada.token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.total, r.body.succeeded, r.body.failed], [2, 2, 0]);
    assert.deepEqual(
      r.body.results.map((x: any) => [x.index, x.workflow_id, x.status, x.status_code]),
      [
        [0, a, 'success', 201],
        [1, b, 'success', 201],
      ],
    );
    for (const [i, name] of ['a', 'b'].entries()) {
      const run = await waitForRun(tp, ada.token, r.body.results[i].execution.id);
      assert.equal(run.status, 'completed');
      assert.deepEqual(run.output_data, { n: 7, flow: name });
      assert.equal(run.trigger.type, 'manual');
      assert.equal(run.trigger.batch, true);
    }
  });

  it('reports each item’s failure on its own: another user’s flow, a bad id, a bad input, an unknown version', async () => {
    const mine = await flow(ada.token, 'mine');
    const theirs = await flow(bob, 'theirs');
    const r = await tp.api(
      'POST',
      '/api/v1/batch/execute',
      {
        items: [
          { workflow_id: mine, input_data: { n: 1 } },
          { workflow_id: theirs },
          { workflow_id: 'not-a-uuid' },
          { workflow_id: mine, input_data: { n: 'one' } },
          { workflow_id: mine, version: 99 },
          { workflow_id: mine, input_data: { n: 2 } },
        ],
      },
      ada.token,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([r.body.total, r.body.succeeded, r.body.failed], [6, 2, 4]);
    const [ok1, other, bad, invalid, version, ok2] = r.body.results;
    assert.equal(ok1.status, 'success');
    assert.equal(ok2.status, 'success');
    assert.notEqual(ok1.execution.id, ok2.execution.id);
    for (const x of [other, bad, version]) {
      assert.equal(x.status, 'error');
      assert.equal(x.status_code, 404, JSON.stringify(x));
      assert.equal(x.error.code, 'NOT_FOUND');
      assert.equal(x.execution, undefined);
    }
    // Another user's flow is "not found", exactly as POST /workflows/{id}/execute answers it.
    const single = await tp.api('POST', `/api/v1/workflows/${theirs}/execute`, {}, ada.token);
    assert.equal(single.status, 404);
    assert.deepEqual(other.error, single.body.error);
    assert.equal(invalid.status_code, 422, JSON.stringify(invalid));
    assert.equal(invalid.error.code, 'VALIDATION_ERROR');
    assert.equal((await tp.api('GET', `/api/v1/workflows/${theirs}/executions`, undefined, bob)).body.total, 0, 'bob’s flow did not run');
  });

  it('exports each flow as GET /workflows/{id}/export does', async () => {
    const a = await flow(ada.token, 'exported');
    const theirs = await flow(bob, 'not exported');
    const r = await tp.api('POST', '/api/v1/batch/export', { workflow_ids: [a, theirs] }, ada.token);
    assert.equal(r.status, 200);
    assert.deepEqual([r.body.succeeded, r.body.failed], [1, 1]);
    const [ok, other] = r.body.results;
    const single = (await tp.api('GET', `/api/v1/workflows/${a}/export`, undefined, ada.token)).body;
    assert.equal(ok.status_code, 200);
    assert.deepEqual(ok.export.workflow, single.workflow);
    assert.equal(ok.export.format_version, single.format_version);
    assert.equal(other.status_code, 404);
    assert.equal(other.export, undefined);
    // Importing an exported item gives the same flow back.
    const imported = await tp.api('POST', '/api/v1/workflows/import', ok.export, ada.token);
    assert.equal(imported.status, 201, JSON.stringify(imported.body));
    assert.equal(imported.body.name, 'exported');
  });

  it('deletes each flow it may, and leaves the others', async () => {
    const a = await flow(ada.token, 'delete me');
    const theirs = await flow(bob, 'keep me');
    const r = await tp.api('POST', '/api/v1/batch/delete', { workflow_ids: [a, theirs, a] }, ada.token);
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.results.map((x: any) => [x.status, x.status_code]),
      [
        ['success', 204],
        ['error', 404],
        ['error', 404],
      ],
    );
    assert.equal((await tp.api('GET', `/api/v1/workflows/${a}`, undefined, ada.token)).status, 404);
    assert.equal((await tp.api('GET', `/api/v1/workflows/${theirs}`, undefined, bob)).status, 200);
    const audit = await tp.api('GET', `/api/v1/audit-logs?action=workflow.delete&resource_id=${a}`, undefined, ada.token);
    assert.equal(audit.body.total, 1);
    assert.equal(audit.body.items[0].details.batch, true);
    assert.equal(audit.body.items[0].route, '/api/v1/batch/delete');
    assert.equal((await tp.api('GET', '/api/v1/audit-logs?action=batch.delete', undefined, ada.token)).body.items[0].details.failed, 2);
  });

  it('lets an admin act on any owner’s flows', async () => {
    const theirs = await flow(bob, 'admin runs it');
    const r = await tp.api('POST', '/api/v1/batch/execute', { workflow_ids: [theirs] }, admin);
    assert.equal(r.body.results[0].status_code, 201, JSON.stringify(r.body));
  });

  it('needs the scope of its single-item route', async () => {
    const key = await tp.api('POST', '/api/v1/auth/api-keys', { name: 'read only', scopes: ['read'] }, ada.token);
    const a = await flow(ada.token, 'scoped');
    const as = { apiKey: key.body.key };
    assert.equal((await tp.api('POST', '/api/v1/batch/execute', { workflow_ids: [a] }, as)).status, 403);
    assert.equal((await tp.api('POST', '/api/v1/batch/delete', { workflow_ids: [a] }, as)).status, 403);
    assert.equal((await tp.api('POST', '/api/v1/batch/export', { workflow_ids: [a] }, as)).status, 200);
    assert.equal((await tp.api('POST', '/api/v1/batch/export', { workflow_ids: [a] })).status, 401);
  });

  it('refuses a malformed batch as a whole with 422, and more than the limit', async () => {
    const a = await flow(ada.token, 'limits');
    const bodies: [string, unknown][] = [
      ['execute', {}],
      ['execute', { workflow_ids: [a], items: [{ workflow_id: a }] }],
      ['execute', { items: [{ workflow_id: a }], input_data: {} }],
      ['execute', { workflow_ids: [] }],
      ['execute', { workflow_ids: a }],
      ['execute', { items: [{ workflow_id: a, version: 'head' }] }],
      ['execute', { items: [{ workflow_id: a, extra: 1 }] }],
      ['export', { workflow_ids: [42] }],
      ['export', { workflow_ids: Array(MAX_BATCH_ITEMS + 1).fill(a) }],
      ['delete', { workflow_ids: ['x'.repeat(101)] }],
      ['delete', { ids: [a] }],
      ['delete', []],
    ];
    for (const [op, body] of bodies) {
      const r = await tp.api('POST', `/api/v1/batch/${op}`, body, ada.token);
      assert.equal(r.status, 422, `${op} ${JSON.stringify(body).slice(0, 80)}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'VALIDATION_ERROR');
    }
    const limit = await tp.api('POST', '/api/v1/batch/delete', { workflow_ids: Array(MAX_BATCH_ITEMS + 1).fill(a) }, ada.token);
    assert.match(JSON.stringify(limit.body.error.details), new RegExp(`${MAX_BATCH_ITEMS}`));
    assert.equal((await tp.api('GET', `/api/v1/workflows/${a}`, undefined, ada.token)).status, 200, 'nothing was deleted');
    const exactly = await tp.api('POST', '/api/v1/batch/export', { workflow_ids: Array(MAX_BATCH_ITEMS).fill(a) }, ada.token);
    assert.equal(exactly.status, 200);
    assert.equal(exactly.body.succeeded, MAX_BATCH_ITEMS);
  });
});
