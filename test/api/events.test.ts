import assert from 'node:assert/strict';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';

/** A flow started by `event`, whose output shows what the run saw of its trigger and input. */
const eventFlow = (name: string, event: string, extra: Record<string, unknown> = {}) => ({
  name,
  trigger: { type: 'event', event },
  nodes: [
    { id: 'start', type: 'start' },
    {
      id: 'end',
      type: 'end',
      data: { output: { data: '{{ trigger.data }}', total: '{{ trigger.data.total }}', type: '{{ trigger.type }}', event: '{{ trigger.event }}', input: '{{ input }}' } },
    },
  ],
  edges: [{ source: 'start', target: 'end' }],
  ...extra,
});

describe('events: POST /api/v1/events', function () {
  this.timeout(90_000);
  let tp: TestPlatform;
  let ada: string;
  let bob: string;

  const create = async (token: string, body: unknown): Promise<string> => {
    const r = await tp.api('POST', '/api/v1/workflows', body, token);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.id;
  };
  const publish = (token: string, body: unknown) => tp.api('POST', '/api/v1/events', body, token);
  const runsOf = async (token: string, flowId: string) => {
    const r = await tp.api('GET', `/api/v1/workflows/${flowId}/executions`, undefined, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.total as number;
  };

  before(async () => {
    tp = await startTestPlatform();
    await tp.login(); // the first user is an admin; the tests use regular users
    ada = (await tp.login()).token;
    bob = (await tp.login()).token;
  });
  after(async () => tp?.stop());

  it("starts every enabled, not archived flow of the caller listening for the type, and only those; {{ trigger.data }} is the event's data", async () => {
    const a = await create(ada, eventFlow('a', 'order.created'));
    const b = await create(ada, eventFlow('b', 'order.created'));
    const disabled = await create(ada, eventFlow('disabled', 'order.created', { enabled: false }));
    const archived = await create(ada, eventFlow('archived', 'order.created', { status: 'archived' }));
    const other = await create(ada, eventFlow('other type', 'order.cancelled'));
    const manual = await create(ada, { ...eventFlow('manual', 'x'), trigger: { type: 'manual' } });
    const bobs = await create(bob, eventFlow("bob's", 'order.created'));

    const data = { order_id: 7, total: 42 };
    const r = await publish(ada, { type: 'order.created', data });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.match(r.body.event_id, /^[0-9a-f-]{36}$/);
    assert.equal(r.body.duplicate, false);
    assert.deepEqual(r.body.skipped, []);
    assert.deepEqual(r.body.executions.map((e: any) => e.workflow_id), [a, b]);

    for (const e of r.body.executions) {
      const run = await waitForRun(tp, ada, e.id);
      assert.equal(run.status, 'completed', JSON.stringify(run));
      assert.deepEqual(run.output_data, { data, total: 42, type: 'event', event: 'order.created', input: data });
      assert.deepEqual(run.trigger, { type: 'event', event: 'order.created', event_id: r.body.event_id, data });
      assert.deepEqual(run.input_data, data);
    }
    for (const id of [disabled, archived, other, manual]) assert.equal(await runsOf(ada, id), 0);
    assert.equal(await runsOf(bob, bobs), 0, "another user's flow does not hear the caller's events");
  });

  it('answers the same id with the same runs and starts nothing, even for a flow added since', async () => {
    const f = await create(ada, eventFlow('dedup', 'invoice.paid'));
    const first = await publish(ada, { type: 'invoice.paid', id: 'inv-1', data: { n: 1 } });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.event_id, 'inv-1');
    assert.equal(first.body.executions.length, 1);

    const later = await create(ada, eventFlow('added later', 'invoice.paid'));
    const again = await publish(ada, { type: 'invoice.paid', id: 'inv-1', data: { n: 2 } });
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.body.duplicate, true);
    assert.deepEqual(
      again.body.executions.map((e: any) => [e.id, e.workflow_id]),
      first.body.executions.map((e: any) => [e.id, e.workflow_id]),
    );
    assert.equal(await runsOf(ada, f), 1);
    assert.equal(await runsOf(ada, later), 0);

    // Ids are the caller's own: another user's event with the same id is another event.
    const bobs = await create(bob, eventFlow("bob's invoices", 'invoice.paid'));
    const theirs = await publish(bob, { type: 'invoice.paid', id: 'inv-1' });
    assert.equal(theirs.status, 202, JSON.stringify(theirs.body));
    assert.deepEqual(theirs.body.executions.map((e: any) => e.workflow_id), [bobs]);

    // The same id for another type of event is a mistake, not a repeat.
    const clash = await publish(ada, { type: 'invoice.voided', id: 'inv-1' });
    assert.equal(clash.status, 409, JSON.stringify(clash.body));
    assert.equal(await runsOf(ada, f), 1);
  });

  it('starts the flows that accept the data and reports those whose input schema refuses it', async () => {
    const picky = await create(ada, {
      ...eventFlow('picky', 'signup'),
      nodes: [
        { id: 'start', type: 'start', data: { input_schema: { type: 'object', required: ['email'] } } },
        { id: 'end', type: 'end', data: { output: '{{ input.email }}' } },
      ],
    });
    const easy = await create(ada, eventFlow('easy', 'signup'));
    const r = await publish(ada, { type: 'signup', data: { name: 'Ada' } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual(r.body.executions.map((e: any) => e.workflow_id), [easy]);
    assert.equal(r.body.skipped.length, 1);
    assert.equal(r.body.skipped[0].workflow_id, picky);
    assert.ok(r.body.skipped[0].details['input_data'], JSON.stringify(r.body.skipped));
  });

  it('answers an event no flow listens for with no runs, and refuses a body without a type', async () => {
    const none = await publish(ada, { type: 'nobody.listens', data: [1, 2] });
    assert.equal(none.status, 202, JSON.stringify(none.body));
    assert.deepEqual(none.body.executions, []);
    const bad = await publish(ada, { data: {} });
    assert.equal(bad.status, 422, JSON.stringify(bad.body));
    assert.ok(bad.body.error.details.type);
    const long = await publish(ada, { type: 'x', id: 'i'.repeat(201) });
    assert.equal(long.status, 422, JSON.stringify(long.body));
  });
});
