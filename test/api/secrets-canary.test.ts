/**
 * The secrets "done when" (docs/credentials.md): a canary secret kept in a credential and used by
 * nodes appears nowhere — not in any API answer (flows, exports, versions, runs with their steps,
 * logs, log summaries, node tests, the credential itself), not in the live events, not in the
 * database tables that hold runs and flows, not in the runs' whole Temporal histories (payloads
 * decoded), not in the platform's own log lines.
 *
 * One case per node type that takes a credential: a loopback stand-in for the outside system, the
 * credential holding the canary, the nodes that use it, and a check that the stand-in did get the
 * canary (so the test proves the secret was used, not skipped). To cover another node type, add a
 * case to CASES; every check below runs over every case.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import knex from 'knex';
import { SMTPServer } from 'smtp-server';
import { testDatabaseUrl } from '../helpers/db';
import { completion, startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { openStream } from '../helpers/sse';

/** The secret: long enough to be scrubbed (4+ characters), unique enough to search for. */
const CANARY = `canary-${randomBytes(16).toString('hex')}`;

/** One node type's share of the canary test. */
interface CanaryCase {
  /** The node type under test; its flow is named `canary <type>` and its credential `canary-<type>`. */
  type: string;
  /** Starts the stand-in for the outside system. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The credential holding the canary in a secret field. */
  credential(): { type: string; data: Record<string, unknown> };
  /**
   * What the nodes name, given the credential's name and id: the credential itself by default; a
   * case whose nodes reach the credential through another resource (a data source) creates it here.
   */
  setup?(api: ApiCall, credential: { name: string; id: string }): Promise<{ byName: string; byId: string }>;
  /** The nodes that use the credential (named `credential`), run in a chain; the first one is also run by `POST /nodes/test`. */
  nodes(credential: string): Record<string, unknown>[];
  /** Sees the output of each run of the nodes (the flow run's, the node test's). */
  sawOutput?(output: unknown): void;
  /** Asserts the stand-in received the canary. */
  verify(): void;
}

type ApiCall = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

/** http-request with an http_bearer credential: the server checks the header, and echoes it back (the wrapper must scrub it). */
function httpRequestCase(): CanaryCase {
  let server: http.Server;
  let base = '';
  const seen: IncomingHttpHeaders[] = [];
  return {
    type: 'http-request',
    async start() {
      server = http.createServer((req, res) => {
        seen.push(req.headers);
        const authorized = req.headers.authorization === `Bearer ${CANARY}`;
        res.statusCode = !authorized ? 401 : req.url === '/refuse' ? 403 : 200;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ authorized, echo: req.headers.authorization }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    credential: () => ({ type: 'http_bearer', data: { token: CANARY } }),
    nodes: (credential) => [
      { id: 'echo', type: 'http-request', data: { url: `${base}/echo`, credential } },
      // A refusal whose body repeats the token: the error's message and details must be scrubbed too.
      { id: 'refused', type: 'http-request', on_error: 'continue', data: { url: `${base}/refuse`, credential } },
    ],
    verify() {
      assert.ok(seen.length >= 3, `${seen.length} requests`);
      assert.ok(seen.every((h) => h.authorization === `Bearer ${CANARY}`));
    },
  };
}

/** email-send with an smtp credential: the server accepts only the canary as password. */
function emailSendCase(): CanaryCase {
  let server: SMTPServer;
  let port = 0;
  const logins: { username?: string; password?: string | null }[] = [];
  let messages = 0;
  return {
    type: 'email-send',
    async start() {
      server = new SMTPServer({
        disabledCommands: ['STARTTLS'],
        allowInsecureAuth: true,
        logger: false,
        onAuth(auth, _session, cb) {
          logins.push({ username: auth.username, password: auth.password });
          if (auth.password !== CANARY) return cb(new Error('Invalid username or password'));
          cb(null, { user: auth.username });
        },
        onData(stream, _session, cb) {
          stream.resume();
          stream.on('end', () => {
            messages++;
            cb();
          });
        },
      });
      server.on('error', () => {});
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.server.address() as AddressInfo).port;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    credential: () => ({
      type: 'smtp',
      data: { host: '127.0.0.1', port, secure: false, username: 'flows', password: CANARY, from: 'flows@example.test' },
    }),
    nodes: (credential) => [
      { id: 'mail', type: 'email-send', data: { to: 'ops@example.test', subject: 'canary', body: 'hello', credential } },
    ],
    verify() {
      assert.ok(messages >= 2, `${messages} messages`);
      assert.ok(logins.length >= 2 && logins.every((l) => l.username === 'flows' && l.password === CANARY));
    },
  };
}

/** llm with an openai credential: the fake model server answers only the canary as API key. */
function llmCase(): CanaryCase {
  let fake: FakeOpenAi;
  return {
    type: 'llm',
    async start() {
      fake = await startFakeOpenAi((req) =>
        req.headers.authorization === `Bearer ${CANARY}`
          ? completion('a summary')
          : { status: 401, body: { error: { message: `Incorrect API key provided: ${String(req.headers.authorization)}` } } },
      );
    },
    stop: () => fake.close(),
    credential: () => ({ type: 'openai', data: { api_key: CANARY, base_url: fake.url, model: 'fake-model' } }),
    nodes: (credential) => [{ id: 'summary', type: 'llm', data: { prompt: 'Summarise {{ input.note }}', credential } }],
    verify() {
      assert.ok(fake.requests.length >= 2, `${fake.requests.length} requests`);
      assert.ok(fake.requests.every((r) => r.headers.authorization === `Bearer ${CANARY}`));
    },
  };
}

/**
 * sql on a PostgreSQL data source whose settings are a postgres credential: the canary is the
 * password of a throw-away role the test creates, so the database itself checks it was used.
 * Needs TEST_DATABASE_URL (a role that may create roles: .ci/postgres.sh); without it the case is left out.
 */
function sqlCase(url: string): CanaryCase {
  const role = `canary_${randomBytes(6).toString('hex')}`;
  const admin = knex({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  const target = new URL(url);
  let logins = 0;
  return {
    type: 'sql',
    async start() {
      await admin.raw(`CREATE ROLE ${role} LOGIN PASSWORD '${CANARY}'`);
    },
    async stop() {
      await admin.raw(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await admin.destroy();
    },
    credential: () => ({
      type: 'postgres',
      data: { host: target.hostname, port: Number(target.port || 5432), database: target.pathname.slice(1), user: role, password: CANARY },
    }),
    async setup(api, credential) {
      const source = await api('POST', '/data-sources', { name: 'canary-db', type: 'postgresql', config: { credential: credential.name } });
      assert.equal(source.status, 201, JSON.stringify(source.body));
      return { byName: 'canary-db', byId: source.body.id };
    },
    nodes: (dataSource) => [{ id: 'who', type: 'sql', data: { data_source: dataSource, query: 'select current_user as who' } }],
    sawOutput(output) {
      if (JSON.stringify(output).includes(`"who":"${role}"`)) logins++;
    },
    verify() {
      // The database accepted the password: the flow run and the node test both answered as the role.
      assert.ok(logins >= 2, `${logins} queries answered as ${role}`);
    },
  };
}

const pgUrl = testDatabaseUrl();
const CASES: CanaryCase[] = [httpRequestCase(), emailSendCase(), llmCase(), ...(pgUrl ? [sqlCase(pgUrl)] : [])];

/** A chain start → nodes → end whose output holds every node's output. */
function canaryFlow(c: CanaryCase, credential: string) {
  const nodes = c.nodes(credential);
  const ids = ['start', ...nodes.map((n) => n.id as string), 'end'];
  return {
    name: `canary ${c.type}`,
    nodes: [
      { id: 'start', type: 'start' },
      ...nodes,
      { id: 'end', type: 'end', data: { output: Object.fromEntries(nodes.map((n) => [n.id, `{{ ${n.id} }}`])) } },
    ],
    edges: ids.slice(1).map((target, i) => ({ source: ids[i], target })),
  };
}

/** `value` with every byte array (a Temporal payload's data) replaced by its UTF-8 text. */
function decodeBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(decodeBytes);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeBytes(v)]));
  return value;
}

/** JSON text of anything, byte arrays decoded (JSON.stringify alone would show history payloads as base64). */
function textOf(value: unknown): string {
  return JSON.stringify(decodeBytes(value), (_key, v) => (typeof v === 'bigint' ? String(v) : v));
}

/** Fails naming where the canary was found, with some context. */
function assertNoCanary(where: string, text: string): void {
  const at = text.indexOf(CANARY);
  assert.ok(at < 0, `the canary is in ${where}: …${text.slice(Math.max(0, at - 200), at + CANARY.length + 50)}…`);
}

describe('secrets canary: a credential’s secret appears nowhere but where it is used', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let token: string;
  const logLines: string[] = [];
  /** Every run (flow runs and node tests): its Temporal workflow id and how its nodes name the credential. */
  const runs: { label: string; workflowId: string; reference: string }[] = [];
  const flowIds: string[] = [];
  const answers: { label: string; body: unknown }[] = [];

  const api = async (method: string, path: string, body?: unknown) => {
    const r = await tp.api(method, `/api/v1${path}`, body, token);
    answers.push({ label: `${method} ${path}`, body: r.body });
    return r;
  };

  before(async () => {
    for (const c of CASES) await c.start();
    tp = await startTestPlatform({ LOG_LEVEL: 'debug' }, { logDestination: { write: (line: string) => void logLines.push(line) } });
    token = (await tp.login()).token;

    for (const c of CASES) {
      const name = `canary-${c.type}`;
      const created = await api('POST', '/credentials', { name, ...c.credential() });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const refs = c.setup ? await c.setup(api, { name, id: created.body.id }) : { byName: name, byId: created.body.id };
      const flow = await api('POST', '/workflows', canaryFlow(c, refs.byName));
      assert.equal(flow.status, 201, JSON.stringify(flow.body));
      assert.equal(flow.body.warnings, undefined, JSON.stringify(flow.body.warnings));
      flowIds.push(flow.body.id);

      // By name in the flow, by id in the node test.
      const run = await api('POST', `/workflows/${flow.body.id}/execute`, { wait: true, input_data: { note: 'no secret here' } });
      assert.equal(run.status, 200, JSON.stringify(run.body));
      assert.equal(run.body.status, 'completed', JSON.stringify(run.body));
      const [first] = c.nodes(refs.byId);
      const test = await api('POST', '/nodes/test', { type: first.type, data: first.data });
      assert.equal(test.body.success, true, JSON.stringify(test.body));
      c.sawOutput?.(run.body.output_data);
      c.sawOutput?.(test.body);
      runs.push(
        { label: `run of ${c.type}`, workflowId: run.body.temporal.workflow_id, reference: refs.byName },
        { label: `node test of ${c.type}`, workflowId: test.body.temporal.workflow_id, reference: refs.byId },
      );

      for (const path of [`/executions/${run.body.id}`, `/executions/${run.body.id}/status`, `/executions/${run.body.id}/logs?limit=100`, `/executions/${run.body.id}/logs/summary`]) {
        assert.equal((await api('GET', path)).status, 200, path);
      }
      for (const path of [`/workflows/${flow.body.id}`, `/workflows/${flow.body.id}/export`, `/workflows/${flow.body.id}/versions/1`, `/workflows/${flow.body.id}/executions`]) {
        assert.equal((await api('GET', path)).status, 200, path);
      }
      const stream = await openStream(`${tp.url}/api/v1/executions/${run.body.id}/events/stream`, { authorization: `Bearer ${token}` });
      await stream.done;
      assert.ok(stream.events.some((e) => e.event === 'execution_completed'), 'the stream replayed the whole run');
      answers.push({ label: `live events of ${c.type}`, body: stream.events });
    }
    await api('GET', '/credentials');
    await api('GET', '/executions?limit=100');
    await api('GET', '/workflows?limit=100');
  });
  after(async () => {
    await tp?.stop();
    for (const c of CASES) await c.stop();
  });

  it('used the secret: every stand-in received it, by name (flow) and by id (node test)', () => {
    for (const c of CASES) c.verify();
  });

  it('is in no API answer and no live event', () => {
    const all = answers.map((a) => textOf(a.body)).join('\n');
    assert.ok(all.includes('canary-http-request'), 'the answers name the credentials (the search looks at the right text)');
    assert.ok(all.includes('Bearer ***'), 'the echoed header was scrubbed, not dropped');
    for (const a of answers) assertNoCanary(`the answer to ${a.label}`, textOf(a.body));
  });

  it('is in none of the database rows of runs, logs, live events, flows, versions and stored payloads', async () => {
    for (const table of ['executions', 'execution_logs', 'execution_events', 'flows', 'flow_versions', 'payload_blobs']) {
      const rows = await tp.platform.db(table).select('*');
      const text = textOf(rows);
      if (table !== 'payload_blobs') assert.ok(rows.length > 0, `${table} has rows`);
      assertNoCanary(`table ${table}`, text);
    }
    const credentials = textOf(await tp.platform.db('credentials').select('*'));
    assertNoCanary('the credentials table (it is sealed)', credentials);
    assertNoCanary('the data_sources table', textOf(await tp.platform.db('data_sources').select('*')));
  });

  it('is in no Temporal history, payloads decoded', async () => {
    for (const run of runs) {
      const history = await tp.platform.temporal.client.workflow.getHandle(run.workflowId).fetchHistory();
      const text = textOf(history);
      assert.ok(text.includes(run.reference), `${run.label}: the decoded activity input names the credential`);
      assertNoCanary(`the Temporal history of the ${run.label}`, text);
    }
  });

  it('is in no log line of the platform (API, worker, Temporal SDK)', () => {
    assert.ok(logLines.some((l) => l.includes('/api/v1/credentials')), 'the log has the requests');
    assertNoCanary('the platform log', logLines.join(''));
  });
});
