import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { workflowIdFor } from '../../src/shared/flow';
import { until } from '../helpers/wait';

const flow = {
  name: 'backlogged',
  trigger: { type: 'event', event: 'backlog.test' },
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'end', type: 'end', data: { output: 'done' } },
  ],
  edges: [{ source: 'start', target: 'end' }],
};

/**
 * The platform runs without a worker, so whatever it accepts waits in Temporal's task queue and
 * the backlog only grows: past RUN_BACKLOG_LIMIT_MS new runs are refused with 429 + Retry-After.
 */
describe('backpressure: runs are refused while the engine is behind', function () {
  this.timeout(60_000);
  let tp: TestPlatform;
  let token: string;
  let flowId: string;
  const started: string[] = [];

  before(async () => {
    tp = await startTestPlatform({ RUN_WORKER: 'false', RUN_BACKLOG_LIMIT_MS: '400' });
    await tp.login();
    token = (await tp.login()).token;
    const r = await tp.api('POST', '/api/v1/workflows', flow, token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    flowId = r.body.id;
  });
  after(async () => {
    // Nothing will ever run these: end them so the shared dev server forgets them.
    await Promise.all(
      started.map((id) =>
        tp.platform.temporal.client.workflow
          .getHandle(workflowIdFor(id))
          .terminate('test over')
          .catch(() => undefined),
      ),
    );
    await tp?.stop();
  });

  const execute = (body: unknown = {}, headers: Record<string, string> = {}) =>
    tp.api('POST', `/api/v1/workflows/${flowId}/execute`, body, token, headers);

  it('accepts runs while the backlog is young, then answers 429 with Retry-After, and accepts a repeated key as before', async () => {
    const first = await execute({}, { 'Idempotency-Key': 'k-first' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    started.push(first.body.id);

    const refused = await until(async () => {
      const r = await execute();
      if (r.status === 201) started.push(r.body.id);
      return r.status === 429 ? r : undefined;
    }, 'a 429 once the first run has waited 400 ms');
    assert.equal(refused.body.error.code, 'RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(refused.body.error.details.retry_after_s, retryAfter);
    assert.ok(refused.body.error.details.backlog_ms > 400, JSON.stringify(refused.body));
    assert.match(refused.body.error.message, /behind/);

    // A repeat of an accepted request is answered with its run, never refused.
    const repeat = await execute({}, { 'Idempotency-Key': 'k-first' });
    assert.equal(repeat.status, 200, JSON.stringify(repeat.body));
    assert.equal(repeat.body.id, first.body.id);

    // An event is refused as a whole: none of its flows' runs start.
    const event = await tp.api('POST', '/api/v1/events', { type: 'backlog.test', data: {} }, token);
    assert.equal(event.status, 429, JSON.stringify(event.body));
    assert.ok(event.headers.get('retry-after'));
  });
});

describe('backpressure: a caller who waits is refused when runs wait longer than its timeout', function () {
  this.timeout(60_000);
  let tp: TestPlatform;
  let token: string;
  let flowId: string;
  const started: string[] = [];

  before(async () => {
    tp = await startTestPlatform({ RUN_WORKER: 'false', RUN_BACKLOG_LIMIT_MS: '60000' });
    await tp.login();
    token = (await tp.login()).token;
    const r = await tp.api('POST', '/api/v1/workflows', { ...flow, trigger: undefined }, token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    flowId = r.body.id;
  });
  after(async () => {
    await Promise.all(
      started.map((id) =>
        tp.platform.temporal.client.workflow
          .getHandle(workflowIdFor(id))
          .terminate('test over')
          .catch(() => undefined),
      ),
    );
    await tp?.stop();
  });

  it('answers wait:true with 429 (and never waits) while the backlog is older than timeout_ms, and still accepts runs nobody waits for', async () => {
    const first = await tp.api('POST', `/api/v1/workflows/${flowId}/execute`, {}, token);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    started.push(first.body.id);
    const refused = await until(async () => {
      const t0 = Date.now();
      const r = await tp.api('POST', `/api/v1/workflows/${flowId}/execute`, { wait: true, timeout_ms: 300 }, token);
      if (r.status !== 429) {
        started.push(r.body.id);
        return undefined;
      }
      return { r, ms: Date.now() - t0 };
    }, 'a 429 for a caller waiting 300 ms');
    assert.match(refused.r.body.error.message, /timeout_ms/);
    assert.ok(refused.ms < 300, `refused after ${refused.ms} ms: a refusal does not wait`);
    const unhurried = await tp.api('POST', `/api/v1/workflows/${flowId}/execute`, {}, token);
    assert.equal(unhurried.status, 201, JSON.stringify(unhurried.body));
    started.push(unhurried.body.id);
  });
});
