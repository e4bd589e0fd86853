/**
 * A fake OpenAI-compatible server on loopback for llm and agent tests: `POST /v1/chat/completions`
 * answers what the test scripts, and every request is kept (method, path, headers, parsed body),
 * so tests can count calls.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the server received. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  /** When it arrived (ms since the epoch). */
  at: number;
}

/** What the server answers; `hold` keeps the request open until the promise settles (a crash test kills the worker meanwhile). */
export interface FakeReply {
  status?: number;
  headers?: http.OutgoingHttpHeaders;
  body: unknown;
  hold?: Promise<unknown>;
}

/** A running fake server. */
export interface FakeOpenAi {
  /** Base URL, ending in `/v1` (what LLM_BASE_URL, a credential's base_url or a provider URL takes). */
  url: string;
  requests: SeenRequest[];
  /** Answers each request; `n` counts requests from 1. Replace it freely between tests. */
  reply: (req: SeenRequest, n: number) => FakeReply;
  close(): Promise<void>;
}

/** A chat completion whose answer is `content`. */
export function completion(content: unknown, extra: Record<string, unknown> = {}): FakeReply {
  return {
    body: {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'fake-model-2024',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
      ...extra,
    },
  };
}

/** A chat completion that asks for tool calls: `[id, name, arguments]`. */
export function toolCalls(calls: [string, string, unknown][]): FakeReply {
  return {
    body: {
      id: 'chatcmpl-2',
      object: 'chat.completion',
      model: 'fake-model-2024',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: calls.map(([id, name, args]) => ({ id, type: 'function', function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) } })),
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 },
    },
  };
}

/** Starts the server on 127.0.0.1 (an ephemeral port). */
export async function startFakeOpenAi(reply: FakeOpenAi['reply'] = () => completion('hello')): Promise<FakeOpenAi> {
  const requests: SeenRequest[] = [];
  const fake: FakeOpenAi = {
    url: '',
    requests,
    reply,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // kept as text
      }
      const seen: SeenRequest = { method: req.method!, path: req.url!, headers: req.headers, body, at: Date.now() };
      requests.push(seen);
      let answer: FakeReply;
      try {
        answer = fake.reply(seen, requests.length);
      } catch (err) {
        answer = { status: 500, body: { error: { message: String(err) } } };
      }
      const send = () => {
        if (res.destroyed) return;
        const { status = 200, headers = {}, body: out } = answer;
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(typeof out === 'string' ? out : JSON.stringify(out));
      };
      if (answer.hold) answer.hold.then(send, send);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return fake;
}
