import { ExpressionBudgetError, evaluateIsolated } from '../sandbox/expression-pool';
import { NodeError } from '../node-definition';
import { callHttp, MAX_REQUEST_TIMEOUT_MS } from '../net/http-call';
import { evaluateMath, MATH_FUNCTIONS, MathSyntaxError } from './math-expression';
import { sqlQueryTool } from './sql-query-tool';
import type { BuiltinTool } from './tool-context';

const scalar = { type: ['string', 'number', 'boolean'] };
const headers = { type: 'object', additionalProperties: scalar, description: 'Request headers' };
const query = {
  type: 'object',
  additionalProperties: { anyOf: [scalar, { type: 'null' }, { type: 'array', items: scalar }] },
  description: 'Query parameters appended to the URL (arrays repeat the key)',
};

function invalid(message: string): NodeError {
  return new NodeError(message, { retryable: false, type: 'InvalidToolInput' });
}

/** Weekday, date and time of `at` in `timeZone`, as `2026-05-01 09:30:00`. */
function localTime(at: Date, timeZone: string): { local: string; weekday: string; offset: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'long',
      timeZoneName: 'longOffset',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return {
    local: `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`,
    weekday: parts.weekday,
    offset: parts.timeZoneName === 'GMT' ? '+00:00' : String(parts.timeZoneName).replace('GMT', ''),
  };
}

/**
 * The built-in tools (`GET /api/v1/tools/builtin`, `tool-call` nodes, agents). Each has a JSON
 * Schema for its input, checked before it runs; documented in docs/nodes.md ("tool-call").
 */
export const BUILTIN_TOOLS: Readonly<Record<string, BuiltinTool>> = Object.freeze({
  http_fetch: {
    description:
      'Sends an HTTP request through the private-address guard and returns {status, url, body} (the body parsed when it is JSON). ' +
      '5xx, 408 and 429 answers are retried; other 4xx fail.',
    input_schema: {
      type: 'object',
      properties: {
        url: { type: 'string', description: 'http(s) URL' },
        method: { enum: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], default: 'GET' },
        headers,
        query,
        body: { description: 'Request body: an object or array is sent as JSON, a string as text' },
        timeout_ms: { type: 'integer', minimum: 1, maximum: MAX_REQUEST_TIMEOUT_MS, default: 30_000 },
      },
      required: ['url'],
      additionalProperties: false,
    },
    async run(input, ctx) {
      const out = await callHttp(
        { method: input.method ?? 'GET', url: input.url, headers: input.headers, query: input.query, body: input.body, timeout_ms: input.timeout_ms, follow_redirects: true, response_type: 'auto' },
        ctx,
      );
      return { status: out.status, url: out.url, body: out.result };
    },
  },
  current_time: {
    description: 'The current time: ISO-8601 in UTC, Unix milliseconds, and the local date, time and weekday in `timezone` (an IANA name, default UTC).',
    input_schema: {
      type: 'object',
      properties: { timezone: { type: 'string', description: 'IANA time zone, e.g. Europe/Berlin or Asia/Shanghai', default: 'UTC' } },
      additionalProperties: false,
    },
    async run(input) {
      const timezone = input.timezone ?? 'UTC';
      const now = new Date();
      try {
        return { iso: now.toISOString(), unix_ms: now.getTime(), timezone, ...localTime(now, timezone) };
      } catch {
        throw invalid(`Unknown time zone "${String(timezone).slice(0, 100)}"`);
      }
    },
  },
  json_path: {
    description:
      'Evaluates a JSONata expression over `data` and returns its value, e.g. `data.devices[status != "online"].id`. ' +
      'Paths start at `data`; evaluated isolated with a time and memory budget.',
    input_schema: {
      type: 'object',
      properties: {
        data: { description: 'The JSON value to query' },
        expression: { type: 'string', minLength: 1, description: 'JSONata, e.g. data.items[price > 10].name' },
      },
      required: ['data', 'expression'],
      additionalProperties: false,
    },
    async run(input) {
      try {
        const value = await evaluateIsolated({ op: 'expression', value: input.expression, context: { data: input.data } });
        return value === undefined ? null : value;
      } catch (err) {
        const prefix = err instanceof ExpressionBudgetError ? 'expression exceeded its budget' : 'expression failed';
        throw new NodeError(`${prefix}: ${(err as Error).message}`, { retryable: false, type: 'InvalidToolInput' });
      }
    },
  },
  math: {
    description: `Evaluates arithmetic: numbers, + - * / % ^, parentheses, pi, e and ${MATH_FUNCTIONS.join(', ')}. Returns {result}.`,
    input_schema: {
      type: 'object',
      properties: { expression: { type: 'string', minLength: 1, maxLength: 1000, description: 'e.g. (12.5 * 4) / sqrt(16)' } },
      required: ['expression'],
      additionalProperties: false,
    },
    async run(input) {
      try {
        return { result: evaluateMath(input.expression) };
      } catch (err) {
        if (err instanceof MathSyntaxError) throw invalid(`Invalid expression: ${err.message}`);
        throw err;
      }
    },
  },
  sql_query: sqlQueryTool,
  http_get: {
    description: 'GETs `url` (with optional `headers` and `query`) through the private-address guard and returns the parsed body (kept for older flows; http_fetch does more).',
    input_schema: {
      type: 'object',
      properties: { url: { type: 'string', minLength: 1 }, headers, query },
      required: ['url'],
      additionalProperties: false,
    },
    async run(input, ctx) {
      const out = await callHttp(
        { method: 'GET', url: input.url, headers: input.headers, query: input.query, follow_redirects: true, response_type: 'auto' },
        ctx,
      );
      return out.result;
    },
  },
  echo: {
    description: 'Returns its input unchanged (for trying flows out).',
    input_schema: {},
    async run(input) {
      return input;
    },
  },
});

/** Names of the built-in tools, sorted. */
export const BUILTIN_TOOL_NAMES = Object.keys(BUILTIN_TOOLS).sort();

/** The built-in tool of this name; undefined for any other name (inherited keys included). */
export function builtinTool(name: string): BuiltinTool | undefined {
  return Object.hasOwn(BUILTIN_TOOLS, name) ? BUILTIN_TOOLS[name] : undefined;
}
