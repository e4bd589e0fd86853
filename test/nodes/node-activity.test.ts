import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { credentialField, memoryCredentialProvider, type MemoryCredential } from '../../src/nodes/credentials';
import { defineNode, NodeError, type NodeContext } from '../../src/nodes/node-definition';
import { createNodeServices } from '../../src/nodes/node-services';
import { nodeTypeInfo } from '../../src/nodes/registry';
import { httpRequestNode } from '../../src/nodes/types/http-request';
import { runNodeActivity } from '../helpers/node-activity';

const API_KEY = 'sk-live-9f8e7d6c5b4a';
const SMTP_PASSWORD = 'smtp-pass-0042';

const CREDENTIALS: MemoryCredential[] = [
  { id: 'cred-1', name: 'openai-prod', type: 'openai', data: { api_key: API_KEY, model: 'gpt-x' }, owner_id: 'owner-test' },
  { id: 'cred-2', name: 'mail', type: 'smtp', data: { host: 'smtp.example.test', password: SMTP_PASSWORD }, owner_id: 'owner-test' },
  { id: 'cred-3', name: 'broken', type: 'openai', data: { api_key: 42, base_url: 'not a url' }, owner_id: 'owner-test' },
  { id: 'cred-4', name: 'theirs', type: 'openai', data: { api_key: 'sk-other-owner' }, owner_id: 'someone-else' },
];

/** What the probe node saw, for the test to inspect. */
let seen: { data?: unknown; credential?: ReturnType<NodeContext['credential']>; ran: boolean };

/** A node type for the contract: a rendered schema with a default, an optional openai credential. */
const probeNode = defineNode({
  type: 'probe',
  name: 'Probe',
  category: 'utility',
  description: 'test only',
  kind: 'activity',
  ports: ['default'],
  dataSchema: z.object({ url: z.string(), count: z.unknown().optional(), credential: credentialField(['openai']).optional(), leak: z.boolean().optional() }).strict(),
  renderedSchema: z
    .object({
      url: z.string().url(),
      count: z.number().int().min(1).default(3),
      credential: z.string().optional(),
      leak: z.boolean().default(false),
    })
    .strict(),
  credentials: { types: ['openai'] },
  outputSchema: z.object({ result: z.unknown() }),
  example: { url: 'https://example.test' },
  async execute(data, ctx) {
    seen = { data, credential: ctx.credential(), ran: true };
    const key = (ctx.credential()?.data.api_key as string | undefined) ?? 'none';
    if (!data.leak) return { output: { result: { count: data.count, has_key: key !== 'none' } } };
    // A careless node type: the wrapper must keep the key out of everything that leaves the worker.
    ctx.log('info', `calling with ${key}`, { key, nested: [{ header: `Bearer ${key}` }] });
    if (data.count > 5) {
      throw new NodeError(`upstream said: bad key ${key}`, { retryable: false, type: 'Leaky', details: { key } });
    }
    return { output: { result: { key, [key]: 'as a key too' }, echoed: `Bearer ${key}` } };
  },
});

function run(data: Record<string, unknown>, options: Parameters<typeof runNodeActivity>[2] = {}) {
  return runNodeActivity(probeNode, data, { credentials: CREDENTIALS, ...options });
}

describe('node activity wrapper (the node contract)', () => {
  beforeEach(() => {
    seen = { ran: false };
  });

  describe('rendered data', () => {
    it('hands execute the data parsed by the rendered schema, defaults filled in', async () => {
      const { result, error } = await run({ url: 'https://example.test/a' });
      assert.equal(error, undefined);
      assert.deepEqual(seen.data, { url: 'https://example.test/a', count: 3, leak: false });
      assert.deepEqual(result!.output, { result: { count: 3, has_key: false } });
    });

    it('reports every issue in one non-retryable InvalidNodeData error, without running the node', async () => {
      const { error, logs } = await run({ url: 'not a url', count: '{{ vars.n }}' });
      assert.ok(error, 'expected a failure');
      assert.equal(error.type, 'InvalidNodeData');
      assert.equal(error.nonRetryable, true);
      assert.equal(error.message, 'invalid probe data: url: Invalid url; count: Expected number, received string');
      assert.equal(seen.ran, false);
      assert.equal(logs.at(-1)!.level, 'error');
      assert.equal(logs.at(-1)!.message, error.message);
    });

    it("applies a real type's rendered schema (http-request: method and timeout after rendering)", async () => {
      const { error } = await runNodeActivity(httpRequestNode, { url: 'https://example.test', method: 'TRACE', timeout_ms: '5' });
      assert.equal(error?.type, 'InvalidNodeData');
      assert.equal(error?.nonRetryable, true);
      assert.match(error!.message, /^invalid http-request data: method: .*; timeout_ms: Expected number, received string$/);
    });
  });

  describe('credentials', () => {
    it('gives ctx.credential() undefined when the node names none', async () => {
      await run({ url: 'https://example.test' });
      assert.equal(seen.ran, true);
      assert.equal(seen.credential, undefined);
    });

    it('resolves a credential by name and by id, with its validated data', async () => {
      for (const ref of ['openai-prod', 'cred-1']) {
        const { error } = await run({ url: 'https://example.test', credential: ref });
        assert.equal(error, undefined, ref);
        assert.deepEqual(seen.credential, {
          id: 'cred-1',
          name: 'openai-prod',
          type: 'openai',
          data: { api_key: API_KEY, model: 'gpt-x' },
        });
      }
    });

    it('fails non-retryably, before execute, for an unknown name, another type or invalid data', async () => {
      const cases: [string, string, string][] = [
        ['nope', 'CredentialNotFound', 'credential "nope" not found'],
        ['theirs', 'CredentialNotFound', 'credential "theirs" not found'],
        ['mail', 'CredentialTypeMismatch', 'credential "mail" is of type smtp, expected one of openai'],
        ['broken', 'InvalidCredential', 'credential "broken" (openai) has missing or invalid fields: api_key, base_url'],
      ];
      for (const [ref, type, message] of cases) {
        seen.ran = false;
        const { error, logs } = await run({ url: 'https://example.test', credential: ref });
        assert.equal(error?.type, type, ref);
        assert.equal(error?.nonRetryable, true, ref);
        assert.equal(error?.message, message);
        assert.equal(seen.ran, false, `${ref}: execute must not run`);
        assert.equal(logs.at(-1)!.message, message);
      }
      // Neither the other type's secret nor the invalid value is quoted.
      const { error } = await run({ url: 'https://example.test', credential: 'mail' });
      assert.doesNotMatch(JSON.stringify(error), new RegExp(SMTP_PASSWORD));
    });

    it('fails when a required credential is missing, and retries when the provider itself fails', async () => {
      const required = { ...probeNode, credentials: { types: ['openai'], required: true } };
      const missing = await runNodeActivity(required, { url: 'https://example.test' });
      assert.equal(missing.error?.type, 'CredentialRequired');
      assert.equal(missing.error?.nonRetryable, true);
      assert.match(missing.error!.message, /probe needs a credential in "credential" \(type openai\)/);

      const down = await run(
        { url: 'https://example.test', credential: 'openai-prod' },
        { services: { credentials: { resolve: () => Promise.reject(new Error('database is down')) } } },
      );
      assert.equal(down.error?.type, 'CredentialLookupFailed');
      assert.equal(down.error?.nonRetryable, false);
      assert.match(down.error!.message, /could not look up credential "openai-prod": database is down/);
    });

    it('keeps the secret out of the output, the logs and the error, even from a careless node type', async () => {
      const ok = await run({ url: 'https://example.test', credential: 'openai-prod', leak: true });
      assert.equal(ok.error, undefined);
      assert.deepEqual(ok.result!.output, { result: { key: '***', '***': 'as a key too' }, echoed: 'Bearer ***' });
      assert.ok(ok.logs.some((l) => l.message === 'calling with ***'), JSON.stringify(ok.logs));
      assert.doesNotMatch(JSON.stringify(ok.logs), new RegExp(API_KEY));

      const failed = await run({ url: 'https://example.test', credential: 'openai-prod', leak: true, count: 6 });
      assert.equal(failed.error?.type, 'Leaky');
      assert.equal(failed.error?.message, 'upstream said: bad key ***');
      assert.doesNotMatch(JSON.stringify({ e: failed.error, details: failed.error?.details, logs: failed.logs }), new RegExp(API_KEY));
    });

    it('names the credential types in the catalogue', () => {
      assert.deepEqual(nodeTypeInfo('llm')!.credentials, { field: 'credential', types: ['openai'], required: false });
      assert.deepEqual(nodeTypeInfo('http-request')!.credentials!.types, ['http_header', 'http_bearer', 'http_basic']);
      assert.equal(nodeTypeInfo('noop')!.credentials, null);
    });

    it('memoryCredentialProvider matches by id first, then by name, per owner', async () => {
      const provider = memoryCredentialProvider([
        { id: 'a', name: 'b', type: 'x', data: {} },
        { id: 'b', name: 'c', type: 'y', data: {}, owner_id: 'o1' },
      ]);
      assert.equal((await provider.resolve('o1', 'b'))?.type, 'y');
      assert.equal((await provider.resolve('o2', 'b'))?.type, 'x');
      assert.equal(await provider.resolve('o2', 'c'), undefined);
      assert.equal(await createNodeServices().credentials.resolve('o1', 'a'), undefined, 'no credentials by default');
    });
  });

  describe('heartbeats', () => {
    const slow = (heartbeat_ms?: number) =>
      defineNode({
        type: 'slow',
        name: 'Slow',
        category: 'utility',
        description: 'test only',
        kind: 'activity',
        ports: ['default'],
        outputSchema: z.object({ result: z.null() }),
        example: {},
        dataSchema: z.object({ progress: z.boolean().optional() }),
        defaults: heartbeat_ms === undefined ? {} : { heartbeat_ms },
        async execute(data, ctx) {
          if (data.progress) ctx.heartbeat({ done: 1 });
          // Outlive two of the wrapper's one-second heartbeats.
          await sleep(2_300);
          return { output: { result: null } };
        },
      });

    it('heartbeats every second while execute runs, for types with heartbeat_ms, repeating the last details', async () => {
      const started = Date.now();
      const { heartbeats, error } = await runNodeActivity(slow(10_000), { progress: true });
      assert.equal(error, undefined);
      const points = [started, ...heartbeats.map((h) => h.at)];
      const gaps = points.slice(1).map((t, i) => t - points[i]);
      assert.ok(heartbeats.length >= 3, `heartbeats: ${heartbeats.length}`);
      assert.ok(Math.max(...gaps) < 1_500, `gaps: ${gaps.join(', ')} ms`);
      assert.ok(heartbeats.every((h) => JSON.stringify(h.details) === '{"done":1}'), JSON.stringify(heartbeats));
    });

    it('does not heartbeat for types without heartbeat_ms', async () => {
      const { heartbeats, error } = await runNodeActivity(slow(undefined), {});
      assert.equal(error, undefined);
      assert.equal(heartbeats.length, 0);
    });
  });
});
