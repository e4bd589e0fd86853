/** `GET /metrics`: Prometheus text for admins (or METRICS_TOKEN), with the platform's run, node, API and worker metrics. */
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/wait';

describe('GET /metrics', function () {
  this.timeout(60_000);
  let tp: TestPlatform;
  let admin: string;
  let user: string;
  const TOKEN = 'metrics-scraper-token-0123456789';
  const scrape = (headers: Record<string, string>) =>
    fetch(`${tp.url}/metrics`, { headers }).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), text: await r.text() }));

  before(async () => {
    tp = await startTestPlatform({ METRICS_TOKEN: TOKEN });
    admin = (await tp.login()).token; // the first user is an admin
    user = (await tp.login()).token;
  });
  after(() => tp?.stop());

  it('is not public: 401 without credentials, 403 for a non-admin, 200 for an admin or the metrics token', async () => {
    assert.equal((await scrape({})).status, 401);
    assert.equal((await scrape({ authorization: `Bearer ${user}` })).status, 403);
    assert.equal((await scrape({ authorization: 'Bearer wrong-token-wrong-token' })).status, 401);
    const ok = await scrape({ authorization: `Bearer ${admin}` });
    assert.equal(ok.status, 200);
    assert.match(String(ok.type), /text\/plain/);
    assert.equal((await scrape({ authorization: `Bearer ${TOKEN}` })).status, 200);
  });

  it('counts runs by flow and trigger, times nodes by type, API requests by route, and shows worker slots', async () => {
    const flow = await tp.api(
      'POST',
      '/api/v1/workflows',
      {
        name: 'measured',
        nodes: [
          { id: 'start', type: 'start' },
          { id: 'work', type: 'noop', data: { value: 1, delay_ms: 30 } },
          { id: 'bad', type: 'code', data: { code: 'throw new Error("no")' }, retry: { max_attempts: 1 } },
        ],
        edges: [
          { source: 'start', target: 'work' },
          { source: 'work', target: 'bad' },
        ],
      },
      user,
    );
    const id = flow.body.id;
    for (let i = 0; i < 2; i++) await tp.api('POST', `/api/v1/workflows/${id}/execute`, { wait: true }, user);
    const text = await until(async () => {
      const r = await scrape({ authorization: `Bearer ${TOKEN}` });
      return r.text.includes(`flows_runs_finished_total{flow_id="${id}",trigger_type="manual",status="failed"} 2`) &&
        /flows_node_duration_seconds_count\{node_type="noop",status="completed"\} [1-9]/.test(r.text)
        ? r.text
        : undefined;
    }, 'the metrics to show the runs', 20_000);
    assert.match(text, new RegExp(`flows_runs_started_total\\{flow_id="${id}",trigger_type="manual"\\} 2`));
    assert.match(text, /flows_node_duration_seconds_count\{node_type="code",status="failed"\} [1-9]/);
    assert.match(text, /flows_api_request_duration_seconds_count\{method="POST",route="\/api\/v1\/workflows\/:id\/execute",status="200"\} 2/);
    assert.match(text, /flows_worker_slots_in_use\{kind="cached_workflows"\} \d+/);
    assert.match(text, /flows_process_cpu_user_seconds_total/);
    assert.match(text, /flows_nodejs_eventloop_lag_seconds/);
  });
});
