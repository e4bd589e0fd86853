/**
 * Approval decision links and reminders, through the API: `approval.requested` webhooks carry
 * signed one-time links that decide without an account (reused → 409, altered → 401, expired →
 * 410), and an approval node's `reminders_ms` produce `approval.reminder` deliveries.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestPlatform, waitForRun, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/wait';

const approvalFlow = (approval: Record<string, unknown>) => ({
  name: 'needs a yes',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'ok', type: 'approval', data: { title: 'Ship {{ input.what }}?', ...approval } },
    { id: 'yes', type: 'end', data: { output: { shipped: true, by: '{{ ok.result.decided_by }}' } } },
    { id: 'no', type: 'end', data: { output: { shipped: false } } },
  ],
  edges: [
    { source: 'start', target: 'ok' },
    { source: 'ok', target: 'yes', source_handle: 'approved' },
    { source: 'ok', target: 'no', source_handle: 'rejected' },
    { source: 'ok', target: 'no', source_handle: 'timeout' },
  ],
});

/** Calls a link as someone without an account would: no credentials. */
async function openLink(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** `url` with one character of its token's signature (or claims) changed. */
function tamper(url: string, part: 'signature' | 'claims'): string {
  const i = url.lastIndexOf('/');
  const [claims, sig] = url.slice(i + 1).split('.');
  const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
  return `${url.slice(0, i + 1)}${part === 'claims' ? `${flip(claims, 10)}.${sig}` : `${claims}.${flip(sig, 5)}`}`;
}

describe('approval decision links and reminders', function () {
  this.timeout(90_000);
  let tp: TestPlatform;
  let server: http.Server;
  let receiverUrl: string;
  let owner: { token: string; user: any };
  const received: any[] = [];

  const api = (method: string, path: string, body?: unknown) => tp.api(method, `/api/v1${path}`, body, owner.token);
  const startRun = async (approval: Record<string, unknown>, what: string) => {
    const flow = await api('POST', '/workflows', approvalFlow(approval));
    assert.equal(flow.status, 201, JSON.stringify(flow.body));
    const run = await api('POST', '/executions', { workflow_id: flow.body.id, input_data: { what } });
    assert.equal(run.status, 201, JSON.stringify(run.body));
    return run.body.id as string;
  };
  const eventOf = (executionId: string, event: string, extra: (b: any) => boolean = () => true) =>
    until(
      async () => received.find((b) => b.event === event && b.data.execution_id === executionId && extra(b)),
      () => `${event} for ${executionId} (got ${received.map((b) => b.event).join(', ')})`,
    );

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    tp = await startTestPlatform();
    owner = await tp.login();
    const hook = await api('POST', '/webhooks', { url: receiverUrl, events: ['approval.requested', 'approval.reminder', 'approval.decided'] });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
  });
  after(async () => {
    await tp?.stop();
    server?.close();
  });

  it('sends reminders while the approval waits, and decision links that decide once without an account', async () => {
    const id = await startRun({ timeout_ms: 60_000, reminders_ms: [400, 800, 4_000] }, 'v2');
    const requested = await eventOf(id, 'approval.requested');
    const { approve_url, reject_url, expires_at } = requested.data;
    assert.equal(requested.data.node_id, 'ok');
    assert.equal(requested.data.title, 'Ship v2?');
    assert.equal(requested.data.status, 'waiting');
    assert.ok(approve_url.startsWith(`${tp.url}/api/v1/approvals/links/`), approve_url);
    assert.ok(reject_url.startsWith(`${tp.url}/api/v1/approvals/links/`));
    const expiresIn = Date.parse(expires_at) - Date.now();
    assert.ok(expiresIn > 50_000 && expiresIn <= 60_000, `expires with the approval's timeout (${expiresIn} ms)`);

    // Reminders 1 and 2 arrive while it waits, with the same links; the approval stays listed.
    const second = await eventOf(id, 'approval.reminder', (b) => b.data.reminder.number === 2);
    const first = await eventOf(id, 'approval.reminder', (b) => b.data.reminder.number === 1);
    assert.deepEqual(first.data.reminder, { number: 1, of: 3, after_ms: 400 });
    assert.equal(second.data.approve_url, approve_url, 'a reminder carries the same links');
    assert.equal(second.data.title, 'Ship v2?');
    const pending = await api('GET', '/approvals');
    assert.ok(pending.body.items.some((a: any) => a.execution_id === id), 'a reminder does not take the approval off the list');

    // Looking at a link decides nothing.
    const preview = await openLink('GET', approve_url);
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    assert.deepEqual(
      [preview.body.execution_id, preview.body.node_id, preview.body.decision, preview.body.used, preview.body.waiting],
      [id, 'ok', 'approve', false, true],
    );
    assert.equal((await api('GET', `/executions/${id}`)).body.status, 'waiting');

    // Altered links are refused.
    for (const part of ['signature', 'claims'] as const) {
      const r = await openLink('POST', tamper(approve_url, part));
      assert.equal(r.status, 401, `${part}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'UNAUTHORIZED');
    }
    assert.equal((await openLink('POST', `${tp.url}/api/v1/approvals/links/not-a-token`)).status, 401);

    const decided = await openLink('POST', approve_url, { comment: 'from the mail' });
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
    assert.deepEqual([decided.body.decision, decided.body.decided_by, decided.body.comment], ['approved', 'link', 'from the mail']);
    const done = await waitForRun(tp, owner.token, id);
    assert.deepEqual(done.output_data, { shipped: true, by: 'link' });

    const again = await openLink('POST', approve_url);
    assert.equal(again.status, 409, JSON.stringify(again.body));
    const other = await openLink('POST', reject_url);
    assert.equal(other.status, 409, 'the other link of a decided approval');
    assert.equal((await openLink('GET', approve_url)).body.used, true);

    const decision = await eventOf(id, 'approval.decided');
    assert.deepEqual([decision.data.decision, decision.data.decided_by, decision.data.node_id], ['approved', 'link', 'ok']);

    // No reminder after the decision (the third was due 4 s after the request).
    const wait = Date.parse(requested.timestamp) + 4_500 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    assert.deepEqual(
      received.filter((b) => b.event === 'approval.reminder' && b.data.execution_id === id).map((b) => b.data.reminder.number).sort(),
      [1, 2],
    );
    const log = await api('GET', '/webhooks');
    const deliveries = await api('GET', `/webhooks/${log.body.items[0].id}/deliveries?limit=100`);
    const mine = deliveries.body.items.filter((d: any) => d.execution_id === id);
    assert.deepEqual(mine.map((d: any) => d.event).sort(), ['approval.decided', 'approval.reminder', 'approval.reminder', 'approval.requested']);
    assert.ok(mine.every((d: any) => d.status === 'delivered' && d.response_status === 204));
  });

  it('rejects through the reject link', async () => {
    const id = await startRun({ timeout_ms: 60_000 }, 'v3');
    const requested = await eventOf(id, 'approval.requested');
    const r = await openLink('POST', requested.data.reject_url);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.decision, 'rejected');
    assert.deepEqual((await waitForRun(tp, owner.token, id)).output_data, { shipped: false });
  });

  it('expires with the approval (410)', async () => {
    const id = await startRun({ timeout_ms: 1_500 }, 'v4');
    const requested = await eventOf(id, 'approval.requested');
    const done = await waitForRun(tp, owner.token, id);
    assert.deepEqual(done.output_data, { shipped: false }, 'timed out');
    const wait = Date.parse(requested.data.expires_at) + 100 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const r = await openLink('POST', requested.data.approve_url);
    assert.equal(r.status, 410, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'GONE');
    assert.equal((await openLink('GET', requested.data.approve_url)).status, 410);
    const timedOut = await eventOf(id, 'approval.decided');
    assert.equal(timedOut.data.decision, 'timeout');
  });

  it('checks reminders against the timeout when the flow is saved', async () => {
    const r = await api('POST', '/workflows', approvalFlow({ timeout_ms: 1_000, reminders_ms: [500, 1_000] }));
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.match(JSON.stringify(r.body.error.details), /reminders_ms/);
  });
});
