/**
 * A run whose workflow task keeps failing makes no progress and Temporal retries the task forever;
 * the API says so (`problem` on the run and its status) instead of showing it as merely running.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { workflowIdFor } from '../../src/shared/flow';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/wait';

describe('a run whose workflow task keeps failing', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let token: string;

  before(async () => {
    tp = await startTestPlatform();
    token = (await tp.login()).token;
  });
  after(() => tp?.stop());

  it('is reported as stuck, with the failure, by GET /executions/{id} and /status', async () => {
    const me = await tp.api('GET', '/api/v1/auth/me', undefined, token);
    const flow = await tp.api(
      'POST',
      '/api/v1/workflows',
      { name: 'broken', nodes: [{ id: 'start', type: 'start' }], edges: [] },
      token,
    );
    const id = randomUUID();
    await tp.platform.repos.executions.create({
      id,
      flow_id: flow.body.id,
      flow_version: 1,
      owner_id: me.body.id,
      trigger: { type: 'manual' },
      input_data: {},
      status: 'running',
    });
    // A workflow type this worker does not have (as after a botched deployment): every attempt of
    // its first workflow task fails, and Temporal retries it forever.
    await tp.platform.temporal.client.workflow.start('runFlowFromTheFuture', {
      taskQueue: tp.platform.config.temporal.taskQueue,
      workflowId: workflowIdFor(id),
      args: [],
    });
    const detail = await until(async () => {
      const r = await tp.api('GET', `/api/v1/executions/${id}`, undefined, token);
      return r.body.problem ? r.body : undefined;
    }, 'the run to be reported as stuck', 90_000);
    assert.equal(detail.problem.kind, 'workflow_task_failing');
    assert.ok(detail.problem.attempts >= 3);
    assert.match(String(detail.problem.message), /runFlowFromTheFuture/);
    const status = await tp.api('GET', `/api/v1/executions/${id}/status`, undefined, token);
    assert.equal(status.body.problem.kind, 'workflow_task_failing');
    assert.equal((await tp.api('POST', `/api/v1/executions/${id}/terminate`, undefined, token)).status, 200);
  });
});
