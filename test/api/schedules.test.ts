/**
 * Issue "Flows that start themselves": a cron flow has one Temporal Schedule (`flow-<id>`) that
 * follows the flow (version, cron, time zone, overlap, enabled, archived, deleted), starts runs the
 * API never sees coming (they index themselves), runs now and backfills on request, and is
 * repaired by the start-up reconciliation. The flow that must run on its own is created first
 * and checked last, so the minute it waits for is spent on the other tests.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import type { TypedSearchAttributes } from '@temporalio/common';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/wait';
import { ACCEPTED_CRON } from '../fixtures/cron-expressions';
import { RUN_FLOW, type RunFlowInput } from '../../src/shared/flow';
import { createScheduleService } from '../../src/services/schedule-service';
import type { TemporalGate } from '../../src/temporal/temporal-gate';

const nodes = (value: string) => [
  { id: 'start', type: 'start' },
  { id: 'say', type: 'noop', data: { value } },
  { id: 'end', type: 'end', data: { output: { said: '{{ say.result }}', trigger: '{{ trigger.type }}' } } },
];
const edges = [
  { source: 'start', target: 'say' },
  { source: 'say', target: 'end' },
];
const MINUTE = 60_000;

describe('schedules (cron flows on Temporal Schedules)', function () {
  this.timeout(180_000);
  let tp: TestPlatform;
  let token: string;
  let autoFlow: string;
  let autoCreatedAt: number;
  const created: string[] = [];
  const api = (method: string, path: string, body?: unknown, as = token) => tp.api(method, `/api/v1${path}`, body, as);
  const createFlow = async (name: string, trigger: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const r = await api('POST', '/workflows', { name, nodes: nodes(name), edges, trigger, ...extra });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    created.push(r.body.id);
    return r.body.id as string;
  };
  const handle = (flowId: string) => tp.platform.temporal.client.schedule.getHandle(`flow-${flowId}`);
  const describeSchedule = async (flowId: string): Promise<ScheduleDescription | undefined> => {
    try {
      return await handle(flowId).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    }
  };
  const inputOf = (d: ScheduleDescription) => d.action.args?.[0] as RunFlowInput;
  /** A search attribute the schedule's runs start with. */
  const attribute = (d: ScheduleDescription, name: string) =>
    (d.action.typedSearchAttributes as TypedSearchAttributes | undefined)?.getAll().find((p) => p.key.name === name)?.value;
  const scheduledRuns = async (flowId: string) =>
    ((await api('GET', `/workflows/${flowId}/executions?limit=100`)).body.items as any[]).filter((r) => r.trigger.type === 'schedule');

  before(async () => {
    tp = await startTestPlatform();
    token = (await tp.login()).token;
    autoCreatedAt = Date.now();
    autoFlow = await createFlow('every minute', { type: 'cron', schedule: '* * * * *' });
  });
  after(async () => {
    // Schedules outlive the platform in the shared dev server: remove them with their flows.
    for (const id of created) await api('DELETE', `/workflows/${id}`).catch(() => undefined);
    await tp?.stop();
  });

  it('refuses an invalid cron expression or time zone (422 naming the field), and /workflows/validate reports both', async () => {
    const bad = await api('POST', '/workflows', { name: 'bad', nodes: nodes('x'), edges, trigger: { type: 'cron', schedule: '61 * * * *', timezone: 'Mars/Olympus' } });
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    assert.match(bad.body.error.details['trigger.schedule'], /minute 61 is out of range 0-59/);
    assert.match(bad.body.error.details['trigger.timezone'], /unknown time zone "Mars\/Olympus"/);

    const flow = await createFlow('valid', { type: 'manual' });
    const patch = await api('PATCH', `/workflows/${flow}`, { trigger: { type: 'cron', schedule: '0 9 1 * MON' } });
    assert.equal(patch.status, 422);
    assert.match(patch.body.error.details['trigger.schedule'], /not both/);
    assert.equal(await describeSchedule(flow), undefined, 'a refused change makes no schedule');

    const v = await api('POST', '/workflows/validate', { nodes: nodes('x'), edges, trigger: { type: 'cron', schedule: '@every 1w', timezone: 'Local' } });
    assert.equal(v.status, 200);
    assert.equal(v.body.valid, false);
    const byPath = Object.fromEntries(v.body.errors.map((e: any) => [e.path, e.message]));
    assert.match(byPath['trigger.schedule'], /@every <interval>/);
    assert.match(byPath['trigger.timezone'], /unknown time zone "Local"/);
    const ok = await api('POST', '/workflows/validate', { nodes: nodes('x'), edges, trigger: { type: 'cron', schedule: '@daily', timezone: 'europe/paris' } });
    assert.equal(ok.body.valid, true, JSON.stringify(ok.body.errors));
  });

  it('Temporal accepts every cron expression the check accepts', async () => {
    const client = tp.platform.temporal.client;
    for (const expression of ACCEPTED_CRON) {
      const h = await client.schedule.create({
        scheduleId: `probe-${randomUUID()}`,
        spec: { cronExpressions: [expression.trim()] },
        action: { type: 'startWorkflow', workflowType: RUN_FLOW.workflow, taskQueue: 'nowhere', args: [] },
        state: { paused: true },
      });
      const d = await h.describe();
      await h.delete();
      assert.ok(d.info.nextActionTimes.length > 0, `${expression}: Temporal computes its times`);
    }
  });

  it('gives a cron flow one Temporal Schedule: starting runFlow as a scheduled run, in its time zone, skip and a minute of catch-up by default', async () => {
    const flow = await createFlow('weekday mornings', { type: 'cron', schedule: '0 9 * * MON-FRI', timezone: 'europe/paris', input_data: { who: 'ops' } });
    const d = await describeSchedule(flow);
    assert.ok(d, 'the schedule exists');
    assert.deepEqual(d.spec.timezone, 'Europe/Paris');
    assert.equal(d.spec.calendars?.[0].hour[0].start, 9);
    assert.equal(d.policies.overlap, 'SKIP');
    assert.equal(d.policies.catchupWindow, MINUTE);
    assert.equal(d.state.paused, false);
    assert.equal(d.action.workflowType, RUN_FLOW.workflow);
    assert.equal(d.action.taskQueue, tp.platform.config.temporal.taskQueue);
    assert.equal(d.action.workflowId, `run-sched-${flow}`);
    assert.equal(d.action.staticSummary, 'weekday mornings v1 (scheduled)');
    assert.equal(attribute(d, 'TriggerType'), 'schedule');
    const input = inputOf(d);
    assert.equal(input.execution_id, '');
    assert.deepEqual(input.trigger, { type: 'schedule', schedule_id: `flow-${flow}` });
    assert.deepEqual(input.input_data, { who: 'ops' });
    assert.equal(input.flow_version, 1);
    assert.ok(input.definition.nodes.every((n) => n.exec), 'the definition is compiled');
    // Nine in Paris is 08:00 or 07:00 UTC, on a weekday.
    for (const t of d.info.nextActionTimes) {
      assert.ok([7, 8].includes(t.getUTCHours()) && t.getUTCDay() >= 1 && t.getUTCDay() <= 5, t.toISOString());
    }
  });

  it('pauses the schedule while the flow is disabled or archived, follows trigger changes, and deletes it with the flow', async () => {
    const flow = await createFlow('toggled', { type: 'cron', schedule: '@hourly' });
    // Temporal applies a schedule update to its scheduler workflow; a loaded server may describe
    // the schedule as it was for a moment, so each state is awaited (it is normally there at once).
    const paused = (want: boolean) =>
      until(async () => (await describeSchedule(flow))?.state.paused === want, `the schedule to be ${want ? 'paused' : 'running'}`, 5_000);
    await paused(false);
    assert.equal((await api('PATCH', `/workflows/${flow}`, { enabled: false })).status, 200);
    await paused(true);
    assert.equal((await api('PATCH', `/workflows/${flow}`, { enabled: true })).status, 200);
    await paused(false);
    assert.equal((await api('PATCH', `/workflows/${flow}`, { status: 'archived' })).status, 200);
    await paused(true);
    assert.equal((await api('PATCH', `/workflows/${flow}`, { status: 'published' })).status, 200);
    await paused(false);

    assert.equal((await api('PATCH', `/workflows/${flow}`, { trigger: { type: 'manual' } })).status, 200);
    assert.equal(await describeSchedule(flow), undefined, 'no longer cron: no schedule');
    const back = await api('POST', `/workflows/${flow}/schedule/trigger`);
    assert.equal(back.status, 409, 'run now needs a cron trigger');

    const cron = { type: 'cron', schedule: '*/5 * * * *', timezone: 'America/New_York', overlap: 'buffer_one', catchup_window_s: 600 };
    assert.equal((await api('PATCH', `/workflows/${flow}`, { trigger: cron })).status, 200);
    const d = (await describeSchedule(flow))!;
    assert.equal(d.spec.timezone, 'America/New_York');
    assert.equal(d.spec.calendars?.[0].minute[0].step, 5);
    assert.equal(d.policies.overlap, 'BUFFER_ONE');
    assert.equal(d.policies.catchupWindow, 600_000);

    assert.equal((await api('DELETE', `/workflows/${flow}`)).status, 204);
    assert.equal(await describeSchedule(flow), undefined, 'deleted with the flow');
  });

  it('pauses the schedule, saying why, while the trigger\'s input_data fails the start node\'s input_schema', async () => {
    const schemaNodes = [{ id: 'start', type: 'start', data: { input_schema: { type: 'object', required: ['name'] } } }, ...nodes('x').slice(1)];
    const r = await api('POST', '/workflows', { name: 'needs a name', nodes: schemaNodes, edges, trigger: { type: 'cron', schedule: '@daily' } });
    assert.equal(r.status, 201, 'the save itself succeeds');
    created.push(r.body.id);
    const d = (await describeSchedule(r.body.id))!;
    assert.equal(d.state.paused, true);
    assert.match(d.state.note ?? '', /input_schema/);
    await api('PATCH', `/workflows/${r.body.id}`, { trigger: { type: 'cron', schedule: '@daily', input_data: { name: 'Ada' } } });
    assert.equal((await describeSchedule(r.body.id))!.state.paused, false);
  });

  it('updates the schedule\'s action when the flow gets a new version or a new name', async () => {
    const flow = await createFlow('versioned', { type: 'cron', schedule: '@daily' });
    const before = (await describeSchedule(flow))!;
    const put = await api('PATCH', `/workflows/${flow}`, { nodes: nodes('second version'), name: 'versioned, renamed' });
    assert.equal(put.status, 200);
    assert.equal(put.body.version, 2);
    const after = (await describeSchedule(flow))!;
    assert.equal(inputOf(after).flow_version, 2);
    assert.equal(inputOf(after).definition.nodes.find((n) => n.id === 'say')?.data.value, 'second version');
    assert.equal(after.action.staticSummary, 'versioned, renamed v2 (scheduled)');
    assert.equal(attribute(after, 'FlowVersion'), 2);
    assert.equal(after.info.createdAt.getTime(), before.info.createdAt.getTime(), 'the same schedule, updated');
    // A save that changes nothing the schedule says leaves it alone.
    await api('PATCH', `/workflows/${flow}`, { description: 'only the description' });
    assert.equal((await describeSchedule(flow))!.info.lastUpdatedAt?.getTime(), after.info.lastUpdatedAt?.getTime());
  });

  it('runs a cron flow now: 201 with the run, which is a scheduled run listed with its flow', async () => {
    // Disabled: the schedule is paused, so only the runs asked for here happen.
    const flow = await createFlow('run now', { type: 'cron', schedule: '* * * * *', input_data: { x: 1 } }, { enabled: false });
    const r = await api('POST', `/workflows/${flow}/schedule/trigger`);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.workflow_id, flow);
    assert.equal(r.body.trigger.type, 'schedule');
    assert.equal(r.body.trigger.schedule_id, `flow-${flow}`);
    assert.ok(r.body.trigger.scheduled_at, 'scheduled_at is set');
    assert.match(r.body.temporal.workflow_id, new RegExp(`^run-sched-${flow}-`));
    const done = await waitForRun(tp, token, r.body.id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.output_data, { said: 'run now', trigger: 'schedule' });
    assert.ok(done.steps.length >= 3, 'its steps are read from Temporal');
    const listed = await scheduledRuns(flow);
    assert.deepEqual(listed.map((x) => x.id), [r.body.id]);
    assert.deepEqual(listed[0].input_data, { x: 1 });

    const other = (await tp.login()).token;
    assert.equal((await api('POST', `/workflows/${flow}/schedule/trigger`, undefined, other)).status, 404);
  });

  it('tries a schedule sync that failed during a save again in the background, so a disabled flow does not keep firing', async () => {
    const flow = await createFlow('retried sync', { type: 'cron', schedule: '@hourly' });
    await until(async () => (await describeSchedule(flow))?.state.paused === false, 'the schedule to exist', 5_000);
    // A second schedule service on the platform's connection, whose gate refuses its first two calls
    // as an unreachable or slow Temporal would.
    let refusals = 2;
    const warnings: string[] = [];
    const gate: TemporalGate = {
      call: (fn) => (refusals-- > 0 ? Promise.reject(new Error('deadline exceeded')) : fn()),
      isUp: () => true,
      whenUp: async () => undefined,
      stop: () => undefined,
      drain: async () => undefined,
    };
    const service = createScheduleService({
      repos: tp.platform.repos,
      connection: tp.platform.temporal.connection,
      namespace: tp.platform.config.temporal.namespace,
      gate,
      taskQueue: tp.platform.config.temporal.taskQueue,
      logger: { info: () => undefined, warn: (_obj: unknown, msg?: string) => void warnings.push(String(msg)) },
    });
    const before = (await tp.platform.repos.flows.get(flow))!;
    const disabled = (await tp.platform.repos.flows.update(flow, { enabled: false }))!;
    await service.trigger.saved?.(disabled, before); // what a save does; it does not fail
    assert.match(warnings[0] ?? '', /trying again in 500 ms/);
    assert.equal((await describeSchedule(flow))?.state.paused, false, 'the first try failed');
    await until(async () => (await describeSchedule(flow))?.state.paused === true, 'the retried sync to pause the schedule', 10_000);
    assert.equal(warnings.length, 2, warnings.join('; '));
  });

  it('backfills a past range: one run per minute in it, with their scheduled times; refuses empty, future and unparsable ranges', async () => {
    const flow = await createFlow('backfilled', { type: 'cron', schedule: '* * * * *' }, { enabled: false });
    const minute = Math.floor(Date.now() / MINUTE) * MINUTE;
    // 30 s past minute boundaries, so the range holds exactly the three minutes in between.
    const start = new Date(minute - 5 * MINUTE + 30_000);
    const end = new Date(minute - 2 * MINUTE + 30_000);
    const r = await api('POST', `/workflows/${flow}/schedule/backfill`, { start: start.toISOString(), end: end.toISOString() });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual(r.body, { workflow_id: flow, start: start.toISOString(), end: end.toISOString(), runs: 3 });
    const expected = [2, 3, 4].map((m) => new Date(minute - m * MINUTE).toISOString());
    const runs = await until(async () => {
      const items = await scheduledRuns(flow);
      return items.length >= 3 && items.every((i) => i.status === 'completed') ? items : undefined;
    }, 'three backfilled runs to complete');
    assert.deepEqual(runs.map((x) => x.trigger.scheduled_at).sort().reverse(), expected);

    const reversed = await api('POST', `/workflows/${flow}/schedule/backfill`, { start: end.toISOString(), end: start.toISOString() });
    assert.equal(reversed.status, 422);
    assert.match(reversed.body.error.details.start, /before end/);
    const future = await api('POST', `/workflows/${flow}/schedule/backfill`, { start: start.toISOString(), end: new Date(Date.now() + MINUTE).toISOString() });
    assert.equal(future.status, 422);
    assert.ok(future.body.error.details.end);
    const garbled = await api('POST', `/workflows/${flow}/schedule/backfill`, { start: 'yesterday', end: end.toISOString() });
    assert.equal(garbled.status, 422);
    assert.match(garbled.body.error.details.start, /ISO 8601/);
    const tooMany = await api('POST', `/workflows/${flow}/schedule/backfill`, { start: new Date(minute - 24 * 60 * MINUTE).toISOString(), end: end.toISOString() });
    assert.equal(tooMany.status, 422);
    assert.match(tooMany.body.error.details.start, /at most 500/);
    const manual = await createFlow('not cron', { type: 'manual' });
    assert.equal((await api('POST', `/workflows/${manual}/schedule/backfill`, { start: start.toISOString(), end: end.toISOString() })).status, 409);
  });

  it('reconciles at start-up: recreates a missing schedule, repairs a stale one, deletes orphans of this platform only', async () => {
    const missing = await createFlow('lost schedule', { type: 'cron', schedule: '@weekly' });
    await handle(missing).delete();
    const stale = await createFlow('edited while Temporal was away', { type: 'cron', schedule: '@weekly' });
    // As a save that could not reach Temporal leaves it: the flow changed, the schedule did not.
    await tp.platform.repos.flows.update(stale, { trigger: { type: 'cron', schedule: '15 3 * * *' }, enabled: false });
    const client = tp.platform.temporal.client;
    const orphan = randomUUID();
    const foreign = randomUUID();
    const action = { type: 'startWorkflow' as const, workflowType: RUN_FLOW.workflow, taskQueue: 'nowhere', args: [] };
    await client.schedule.create({ scheduleId: `flow-${orphan}`, spec: { cronExpressions: ['@yearly'] }, action, memo: { task_queue: tp.platform.config.temporal.taskQueue }, state: { paused: true } });
    await client.schedule.create({ scheduleId: `flow-${foreign}`, spec: { cronExpressions: ['@yearly'] }, action, memo: { task_queue: 'another-platform' }, state: { paused: true } });
    try {
      // Schedule listing is eventually consistent: the orphan must be listed before a pass can see it.
      await until(async () => {
        for await (const s of client.schedule.list()) if (s.scheduleId === `flow-${orphan}`) return true;
        return false;
      }, 'the orphan schedule to be listed');
      const result = await tp.platform.schedules.reconcile();
      assert.ok(result.created >= 1 && result.updated >= 1 && result.deleted >= 1, JSON.stringify(result));
      assert.ok(await describeSchedule(missing), 'the missing schedule is back');
      const repaired = (await describeSchedule(stale))!;
      assert.equal(repaired.spec.calendars?.[0].hour[0].start, 3);
      assert.equal(repaired.state.paused, true);
      assert.equal(await describeSchedule(orphan), undefined, 'the orphan is deleted');
      assert.ok(await describeSchedule(foreign), 'another platform\'s schedule is left alone');
      const again = await tp.platform.schedules.reconcile();
      assert.equal(again.created + again.updated + again.deleted, 0, `a second pass has nothing to do: ${JSON.stringify(again)}`);
    } finally {
      await handle(foreign).delete().catch(() => undefined);
    }
  });

  it('lists the caller\'s cron flows with their next run times and recent scheduled runs', async () => {
    // A schedule Temporal cannot describe at that moment (a busy dev server) is listed without
    // next run times: wait for an answer that has them.
    let page: { status: number; body: any } = { status: 0, body: undefined };
    await until(async () => {
      page = await api('GET', '/schedules?limit=100');
      return page.status !== 200 || page.body.items.find((i: any) => i.workflow_id === autoFlow)?.next_run_times.length > 0;
    }, 'the schedule to be described');
    assert.equal(page.status, 200);
    assert.deepEqual(Object.keys(page.body).sort(), ['items', 'limit', 'skip', 'total']);
    const byId = new Map<string, any>(page.body.items.map((i: any) => [i.workflow_id, i]));
    const auto = byId.get(autoFlow);
    assert.deepEqual(
      { ...auto, next_run_times: auto.next_run_times.length, recent_runs: undefined },
      { workflow_id: autoFlow, workflow_name: 'every minute', schedule: '* * * * *', timezone: 'UTC', overlap: 'skip', paused: false, next_run_times: 5, recent_runs: undefined },
    );
    for (const t of auto.next_run_times) assert.equal(new Date(t).getTime() % MINUTE, 0, t);
    const ranNow = page.body.items.find((i: any) => i.workflow_name === 'run now');
    assert.equal(ranNow.paused, true);
    assert.deepEqual(ranNow.next_run_times, []);
    assert.equal(ranNow.recent_runs.length, 1);
    assert.equal(ranNow.recent_runs[0].status, 'completed');
    assert.ok(ranNow.recent_runs[0].scheduled_at);
    const backfilled = page.body.items.find((i: any) => i.workflow_name === 'backfilled');
    assert.equal(backfilled.recent_runs.length, 3);

    const small = await api('GET', '/schedules?skip=1&limit=2');
    assert.equal(small.body.items.length, 2);
    assert.equal(small.body.total, page.body.total);
    assert.deepEqual(small.body.items.map((i: any) => i.workflow_id), page.body.items.slice(1, 3).map((i: any) => i.workflow_id));
    const other = (await tp.login()).token;
    assert.deepEqual((await api('GET', '/schedules', undefined, other)).body, { items: [], total: 0, skip: 0, limit: 20 });
  });

  it('runs a cron flow on its own within 70 s, listed with trigger type schedule and its scheduled time', async () => {
    const remaining = Math.max(1_000, autoCreatedAt + 70_000 - Date.now());
    const run = await until(async () => (await scheduledRuns(autoFlow))[0], 'the cron flow to start a run by itself', remaining);
    assert.equal(new Date(run.trigger.scheduled_at).getTime() % MINUTE, 0, 'scheduled on a minute');
    assert.ok(new Date(run.trigger.scheduled_at).getTime() > autoCreatedAt);
    const all = await api('GET', `/executions?workflow_id=${autoFlow}`);
    assert.ok(all.body.items.some((i: any) => i.id === run.id), 'GET /executions lists it');
    const done = await waitForRun(tp, token, run.id);
    assert.deepEqual(done.output_data, { said: 'every minute', trigger: 'schedule' });
  });
});
