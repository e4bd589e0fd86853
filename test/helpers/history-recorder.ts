/**
 * Records workflow histories for test/workflows/replay.test.ts: runs each recording through the
 * real worker on the test Temporal dev server (or `TEMPORAL_TEST_ADDRESS`) and writes the run's
 * history and those of its child workflows to `test/fixtures/histories/<name>.json`. The
 * recordings are in test/fixtures/recordings.ts, the command in test/fixtures/record-histories.ts.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { RUN_FLOW, type RunStatus } from '../../src/shared/flow';
import { startTestEngine, type TestEngine } from './engine';
import { stopTestTemporal } from './temporal-env';
import { until } from './wait';

/** Where the fixtures live. */
export const HISTORIES_DIR = path.resolve(__dirname, '../fixtures/histories');

/** One recorded history as stored on disk. */
export interface HistoryFixture {
  /** File name without `.json`. */
  name: string;
  description: string;
  workflow_type: string;
  /** Needed for replay: the interpreter reads its own workflow id. */
  workflow_id: string;
  /** How the run ended. */
  outcome: 'completed' | 'failed' | 'cancelled';
  recorded_at: string;
  /** Standard Temporal JSON history (as `temporal workflow show --output json` writes it). */
  history: { events: unknown[] };
}

/** What a recording's graph and driver may use. */
export interface Ctx {
  engine: TestEngine;
  /** Base URL of the loopback HTTP server. */
  http: string;
}

/** One flow to record: how to build it, drive it and check its result. */
export interface Recording {
  name: string;
  description: string;
  graph: (ctx: Ctx) => unknown;
  input?: unknown;
  /** Interacts with the run while it is going (approvals, events, pause…). */
  drive?: (h: WorkflowHandle, ctx: Ctx) => Promise<void>;
  outcome?: HistoryFixture['outcome'];
  /** Checks the result so a fixture never records a wrong behaviour. */
  check?: (output: any) => boolean;
}

/** Waits until the run's status query satisfies `reached` (10 s at most). */
export async function waitForStatus(h: WorkflowHandle, reached: (s: RunStatus) => boolean): Promise<void> {
  await until(
    async () => reached(await h.query<RunStatus>(RUN_FLOW.statusQuery)),
    `${h.workflowId} to reach the expected state`,
    10_000,
  );
}

/**
 * A scripted model for the agent flows (`POST /v1/chat/completions`), deciding by the conversation
 * so far: before any tool result it asks for `math` and an `http_fetch` that gets a 404, after
 * them it answers (unless the prompt says to keep going).
 */
function chatReply(req: http.IncomingMessage, body: string): unknown {
  const messages = (JSON.parse(body) as { messages: { role: string; content: string | null }[] }).messages;
  // A prompt asking to keep going never gets an answer: the agent runs out of iterations.
  const endless = messages.some((m) => m.role === 'user' && m.content?.includes('keep going'));
  const answered = !endless && messages.some((m) => m.role === 'tool');
  const message = answered
    ? { role: 'assistant', content: 'The answer is 42' }
    : {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'math', arguments: '{"expression":"6*7"}' } },
          { id: 'call_2', type: 'function', function: { name: 'http_fetch', arguments: JSON.stringify({ url: `http://${req.headers.host}/status/404` }) } },
        ],
      };
  const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  return { id: 'chat', object: 'chat.completion', model: 'scripted', choices: [{ index: 0, message, finish_reason: answered ? 'stop' : 'tool_calls' }], usage };
}

/** Loopback server for the http-request flows: `/status/<code>`, `/flaky?fail=n`, anything else echoes; and the agent's model. */
function startHttpServer(): Promise<http.Server> {
  const calls = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v1/chat/completions') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(chatReply(req, body))));
      return;
    }
    const n = (calls.get(url.pathname) ?? 0) + 1;
    calls.set(url.pathname, n);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname.startsWith('/status/'))
      return json(Number(url.pathname.split('/')[2]), { error: 'nope' });
    if (n <= Number(url.searchParams.get('fail') ?? 0)) return json(500, { error: 'boom' });
    json(200, { path: url.pathname, call: n, query: Object.fromEntries(url.searchParams) });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function outcomeOf(
  h: WorkflowHandle,
): Promise<{ outcome: HistoryFixture['outcome']; output?: unknown }> {
  try {
    const r = (await h.result()) as { output: unknown };
    return { outcome: 'completed', output: r.output };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    return { outcome: err.cause?.name === 'CancelledFailure' ? 'cancelled' : 'failed' };
  }
}

/** Child workflows a history started, in order: their histories are recorded too. */
function childWorkflowIds(history: History): { id: string; type: string }[] {
  return (history.events ?? [])
    .map((e) => e.childWorkflowExecutionStartedEventAttributes)
    .filter((a) => a?.workflowExecution?.workflowId)
    .map((a) => ({ id: a!.workflowExecution!.workflowId!, type: a!.workflowType?.name ?? 'unknown' }));
}

function writeFixture(f: HistoryFixture): void {
  fs.writeFileSync(path.join(HISTORIES_DIR, `${f.name}.json`), `${JSON.stringify(f, null, 1)}\n`);
}

async function record(r: Recording, ctx: Ctx): Promise<string[]> {
  const h = await ctx.engine.start(r.graph(ctx), r.input ?? {});
  await r.drive?.(h, ctx);
  const { outcome, output } = await outcomeOf(h);
  const expected = r.outcome ?? 'completed';
  if (outcome !== expected) throw new Error(`${r.name}: expected ${expected}, got ${outcome}`);
  if (r.check && !r.check(output)) throw new Error(`${r.name}: unexpected output ${JSON.stringify(output)}`);

  const written: string[] = [];
  const save = async (
    name: string,
    description: string,
    workflowId: string,
    type: string,
    end: HistoryFixture['outcome'],
  ) => {
    const history = await ctx.engine.client.workflow.getHandle(workflowId).fetchHistory();
    const children = childWorkflowIds(history);
    writeFixture({
      name,
      description,
      workflow_type: type,
      workflow_id: workflowId,
      outcome: end,
      recorded_at: new Date().toISOString(),
      history: JSON.parse(historyToJSON(history)),
    });
    written.push(name);
    for (const [i, child] of children.entries()) {
      await save(
        `${name}.child-${i + 1}`,
        `child ${child.type} of ${name}`,
        child.id,
        child.type,
        'completed',
      );
    }
  };
  await save(r.name, r.description, h.workflowId, RUN_FLOW.workflow, outcome);
  return written;
}

/** Options of {@link recordHistories} (the command's `--only`, `--force` and `--list`). */
export interface RecordOptions {
  only?: string[];
  force?: boolean;
  list?: boolean;
}

/**
 * Records the recordings that have no fixture yet (all of `only` with `force`). Existing fixtures
 * are kept unless `force`: they are histories of runs made by older interpreter code, which is
 * exactly what the replay test must keep accepting (see docs/engine.md).
 */
export async function recordHistories(recordings: readonly Recording[], args: RecordOptions): Promise<void> {
  if (args.list) {
    for (const r of recordings) console.log(`${r.name.padEnd(22)} ${r.description}`);
    return;
  }
  const unknown = args.only?.filter((n) => !recordings.some((r) => r.name === n)) ?? [];
  if (unknown.length) throw new Error(`unknown recording(s): ${unknown.join(', ')} (see --list)`);
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  const todo = recordings.filter((r) => (args.only ? args.only.includes(r.name) : true)).filter((r) => {
    const exists = fs.existsSync(path.join(HISTORIES_DIR, `${r.name}.json`));
    if (exists && !args.force) console.log(`kept      ${r.name} (exists; --force to re-record)`);
    return !exists || args.force;
  });
  if (todo.length === 0) return;

  const server = await startHttpServer();
  const engine = await startTestEngine();
  const ctx: Ctx = { engine, http: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  try {
    for (const r of todo) {
      const t0 = Date.now();
      const files = await record(r, ctx);
      console.log(`recorded  ${files.join(', ')} (${Date.now() - t0} ms)`);
    }
  } finally {
    await engine.stop();
    await stopTestTemporal();
    server.close();
  }
}
