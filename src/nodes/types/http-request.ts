import { createHash } from 'node:crypto';
import { z } from 'zod';
import { NETWORK_HEARTBEAT_TIMEOUT_MS } from '../defaults';
import { credentialData, credentialField, type NodeCredential } from '../credentials';
import { defineNode, type NodeContext } from '../node-definition';
import { callHttp, DEFAULT_REQUEST_TIMEOUT_MS, HTTP_METHODS, MAX_REDIRECTS, MAX_REQUEST_TIMEOUT_MS } from '../net/http-call';
import { intOrTemplate, isTemplate, templateString } from '../schema-helpers';

const CREDENTIAL_TYPES = ['http_header', 'http_bearer', 'http_basic'];

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const method = z.preprocess(
  (v) => (typeof v === 'string' && !isTemplate(v) ? v.trim().toUpperCase() : v),
  z.union([z.enum(HTTP_METHODS), templateString]),
);
const bool = z.union([z.boolean(), templateString]);

/** Data of an `http-request` node as stored in a flow (strings may hold `{{ }}` templates). */
const dataSchema = z
  .object({
    method: method.default('GET').describe(`One of ${HTTP_METHODS.join(', ')}`),
    url: z
      .string()
      .trim()
      .min(1, 'URL is required')
      .describe('http(s) URL; private addresses need HTTP_ALLOWED_HOSTS'),
    headers: z.record(scalar).optional(),
    query: z
      .record(z.union([scalar, z.null(), z.array(scalar)]))
      .optional()
      .describe('Appended to the URL; arrays repeat the key, null is skipped'),
    body: z.unknown().optional(),
    body_type: z
      .enum(['json', 'text', 'form'])
      .optional()
      .describe('Default: json for objects and arrays, text for strings'),
    timeout_ms: intOrTemplate(1, 'Must be a positive integer (milliseconds) or a {{ }} template')
      .optional()
      .describe(`Per request, default ${DEFAULT_REQUEST_TIMEOUT_MS}`),
    idempotency_key: z
      .union([z.string().min(1).max(255), z.boolean()])
      .optional()
      .describe(
        'Sent as Idempotency-Key; true derives a key from the run and node that is stable across retries',
      ),
    follow_redirects: bool.default(true).describe(`Follow up to ${MAX_REDIRECTS} redirects`),
    response_type: z
      .enum(['auto', 'json', 'text'])
      .default('auto')
      .describe('auto: JSON when the content-type says so, else text'),
    credential: credentialField(CREDENTIAL_TYPES)
      .optional()
      .describe(
        'Id or name of an http_header, http_bearer or http_basic credential: its header is added to the request ' +
          '(and, like every credential header, dropped on a redirect to another origin)',
      ),
  })
  .strict();

/** The same data after rendering: concrete values only. */
const renderedSchema = dataSchema.extend({
  method: z
    .preprocess((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v), z.enum(HTTP_METHODS))
    .default('GET'),
  timeout_ms: z.number().int().min(1).max(MAX_REQUEST_TIMEOUT_MS).optional(),
  follow_redirects: z.boolean().default(true),
});

type RenderedData = z.infer<typeof renderedSchema>;

/** Heartbeat timeout of nodes that call out over the network; re-exported for the tests that check it. */
export const HEARTBEAT_TIMEOUT_MS = NETWORK_HEARTBEAT_TIMEOUT_MS;

function idempotencyKey(data: RenderedData, ctx: NodeContext): string | undefined {
  if (typeof data.idempotency_key === 'string') return data.idempotency_key;
  if (data.idempotency_key !== true) return undefined;
  const digest = createHash('sha256').update(`${ctx.executionId}\u0000${ctx.nodeId}`).digest('hex');
  return `${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
}

/** The header a credential adds: a named header, a bearer token or basic auth. */
function credentialHeader(credential: NodeCredential | undefined): Record<string, string> {
  const header = credentialData(credential, 'http_header');
  if (header) return { [header.name.toLowerCase()]: header.value };
  const bearer = credentialData(credential, 'http_bearer');
  if (bearer) return { authorization: `Bearer ${bearer.token}` };
  const basic = credentialData(credential, 'http_basic');
  if (basic) return { authorization: `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}` };
  return {};
}

/** Calls an HTTP(S) endpoint through the private-address guard. */
export const httpRequestNode = defineNode({
  type: 'http-request',
  aliases: ['http_request', 'http'],
  name: 'HTTP Request',
  category: 'core',
  description:
    'Sends an HTTP request and outputs the parsed response body as `result`, with `status`, `headers` and the final `url`. ' +
    '5xx, 408 and 429 responses and network errors are retried (honouring Retry-After); other 4xx fail at once. ' +
    'Private, loopback and link-local addresses (e.g. cloud metadata) are refused unless listed in HTTP_ALLOWED_HOSTS. ' +
    '`credential` names an http_header, http_bearer or http_basic credential whose header is added to the request.',
  kind: 'activity',
  ports: ['default'],
  dataSchema,
  renderedSchema,
  credentials: { types: CREDENTIAL_TYPES },
  outputSchema: z.object({
    result: z.unknown().describe('Parsed JSON, or text'),
    status: z.number().int(),
    headers: z.record(z.union([z.string(), z.array(z.string())])).describe('Response headers'),
    url: z.string().describe('The URL that answered, after redirects'),
  }),
  // A read that is quick to answer is safe to repeat: local. Anything that may change something
  // (POST, PUT…) or wait long stays a remote activity.
  localWhen: (data) =>
    (data.method === undefined || data.method === 'GET' || data.method === 'HEAD') &&
    typeof data.timeout_ms === 'number' &&
    data.timeout_ms <= 5_000,
  defaults: {
    timeout_ms: 60_000,
    retry: { max_attempts: 3, initial_interval_ms: 1_000, backoff_coefficient: 2 },
    heartbeat_ms: NETWORK_HEARTBEAT_TIMEOUT_MS,
  },
  example: {
    method: 'GET',
    url: 'https://api.example.com/items',
    query: { page: 1 },
    headers: { Accept: 'application/json' },
    follow_redirects: true,
    response_type: 'auto',
  },
  exampleOutput: {
    result: { items: [{ id: 1, name: 'Sensor A', price: 12.5 }], page: 1 },
    status: 200,
    headers: { 'content-type': 'application/json' },
    url: 'https://api.example.com/items?page=1',
  },
  async execute(data, ctx) {
    const key = idempotencyKey(data, ctx);
    const extra = { ...(key && { 'idempotency-key': key }), ...credentialHeader(ctx.credential()) };
    // The output holds the response only: the request's headers, and so the credential, stay out.
    return { output: await callHttp(data, ctx, extra) };
  },
});
