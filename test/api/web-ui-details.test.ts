/**
 * What the Temporal Web UI shows of a run: the flow's name in the run's summary, timers named
 * after their delay node, and current details that say what the run waits for.
 */
import assert from 'node:assert/strict';
import { defaultPayloadConverter } from '@temporalio/common';
import { workflowIdFor } from '../../src/shared/flow';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/wait';

describe('runs in the Temporal Web UI', function () {
  this.timeout(60_000);
  let tp: TestPlatform;
  let token: string;
  before(async () => {
    tp = await startTestPlatform();
    token = (await tp.login()).token;
  });
  after(() => tp?.stop());

  it('names the run, its timers, and what it waits for', async () => {
    const flow = await tp.api(
      'POST',
      '/api/v1/workflows',
      {
        name: 'Release train',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'cool', type: 'delay', label: 'Cool down', data: { duration_ms: 100 } },
          { id: 'ok', type: 'approval', data: { title: 'Ship {{ input.v }}?' } },
        ],
        edges: [
          { source: 'start', target: 'cool' },
          { source: 'cool', target: 'ok' },
        ],
      },
      token,
    );
    const run = await tp.api('POST', `/api/v1/workflows/${flow.body.id}/execute`, { input_data: { v: 'v9' } }, token);
    const handle = tp.platform.temporal.client.workflow.getHandle(workflowIdFor(run.body.id));
    const details = await until(async () => {
      const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      return meta.currentDetails?.includes('approval') ? meta.currentDetails : undefined;
    }, 'the run to publish what it waits for');
    assert.equal(details, 'waiting for approval: Ship v9?');

    const desc = await handle.describe();
    assert.equal(await desc.staticSummary?.(), 'Release train v1');
    const history = await handle.fetchHistory();
    const timer = history.events?.find((e) => e.timerStartedEventAttributes);
    const summary = timer?.userMetadata?.summary;
    assert.ok(summary, 'the timer has a summary');
    assert.equal(defaultPayloadConverter.fromPayload(summary as never), 'delay Cool down');
    await tp.api('POST', `/api/v1/executions/${run.body.id}/terminate`, undefined, token);
  });
});
