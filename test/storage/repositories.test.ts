import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { collectPayloadBlobs } from '../../src/services/payload-gc';
import { type FlowNode } from '../../src/shared/flow';
import {
  createRepos,
  definitionOf,
  hashDefinition,
  type Repos,
  UniqueViolationError,
} from '../../src/storage';
import { describeEachDialect } from '../helpers/db';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function assertIso(value: unknown, what: string): void {
  assert.equal(typeof value, 'string', `${what} is a string`);
  assert.match(value as string, ISO, `${what} is ISO-8601 UTC`);
  assert.equal(new Date(value as string).toISOString(), value, `${what} round-trips through Date`);
}

// Timestamps have millisecond resolution: sleep(2) makes the next write's timestamp later.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NODES: FlowNode[] = [
  { id: 'start', type: 'start', data: {}, position: { x: 0, y: 0 } },
  {
    id: 'fetch',
    type: 'http-request',
    label: 'Größe — 取得',
    data: { method: 'GET', url: 'https://example.test/x', headers: { a: '1' }, query: [1, 2.5, null, true] },
    retry: { max_attempts: 5, backoff_coefficient: 2 },
    timeout_ms: 10000,
    on_error: 'route',
  },
];
const EDGES = [
  { source: 'start', target: 'fetch' },
  { source: 'fetch', target: 'start', source_handle: 'error' },
];

describeEachDialect('repositories', (ctx) => {
  let repos: Repos;
  before(() => {
    repos = createRepos(ctx.db);
  });

  describe('users', () => {
    it('creates users and finds them by id, username or email', async () => {
      const tag = randomUUID().slice(0, 8);
      const before = await repos.users.count();
      const ann = await repos.users.create({
        username: `ann-${tag}`,
        email: `ann-${tag}@example.test`,
        password_hash: 'h1',
      });
      const bob = await repos.users.create({
        username: `bob-${tag}`,
        email: `bob-${tag}@example.test`,
        password_hash: 'h2',
        role: 'admin',
      });
      assert.equal(ann.role, 'user');
      assert.equal(bob.role, 'admin');
      assertIso(ann.created_at, 'created_at');
      assert.equal(await repos.users.count(), before + 2);

      assert.deepEqual(await repos.users.findById(ann.id), ann);
      assert.deepEqual(await repos.users.findByUsername(`bob-${tag}`), bob);
      assert.equal(await repos.users.findByUsername(`BOB-${tag}`), undefined);
      assert.equal((await repos.users.findByUsernameOrEmail(`ann-${tag}@example.test`))?.id, ann.id);
      assert.equal((await repos.users.findByUsernameOrEmail(`bob-${tag}`))?.id, bob.id);
      assert.equal(
        (await repos.users.findByUsernameOrEmail('nobody', `bob-${tag}@example.test`))?.id,
        bob.id,
      );
      assert.equal(await repos.users.findByUsernameOrEmail('nobody', 'nobody@example.test'), undefined);
      assert.equal(await repos.users.findById('not-a-uuid'), undefined);
    });

    it('rejects a taken username or email with UniqueViolationError', async () => {
      const tag = randomUUID().slice(0, 8);
      await repos.users.create({ username: `c-${tag}`, email: `c-${tag}@example.test`, password_hash: 'h' });
      await assert.rejects(
        repos.users.create({ username: `c-${tag}`, email: `other-${tag}@example.test`, password_hash: 'h' }),
        UniqueViolationError,
      );
      await assert.rejects(
        repos.users.create({ username: `d-${tag}`, email: `c-${tag}@example.test`, password_hash: 'h' }),
        UniqueViolationError,
      );
    });
  });

  describe('apiKeys', () => {
    async function user() {
      const tag = randomUUID().slice(0, 8);
      return repos.users.create({ username: `k-${tag}`, email: `k-${tag}@example.test`, password_hash: 'h' });
    }

    it('finds a usable key by hash together with its owner, and lists keys without hashes', async () => {
      const owner = await user();
      const hash = randomUUID().replace(/-/g, '');
      const key = await repos.apiKeys.create({
        owner_id: owner.id,
        name: 'ci',
        prefix: 'fk_abcd',
        key_hash: hash,
        scopes: ['read', 'execute'],
      });
      await sleep(2);
      await repos.apiKeys.create({
        owner_id: owner.id,
        name: 'second',
        prefix: 'fk_efgh',
        key_hash: `${hash}x`,
        scopes: [],
      });

      const found = await repos.apiKeys.findByHash(hash);
      assert.ok(found);
      assert.equal(found.id, key.id);
      assert.deepEqual(found.scopes, ['read', 'execute']);
      assert.deepEqual(found.owner, owner);

      const listed = await repos.apiKeys.listByOwner(owner.id);
      assert.deepEqual(
        listed.map((k) => k.name),
        ['second', 'ci'],
      );
      assert.ok(listed.every((k) => !('key_hash' in k)));
      assert.deepEqual(listed[1].scopes, ['read', 'execute']);
      assert.deepEqual(await repos.apiKeys.listByOwner(randomUUID()), []);
      await assert.rejects(
        repos.apiKeys.create({ owner_id: owner.id, name: 'dup', prefix: 'x', key_hash: hash, scopes: [] }),
        UniqueViolationError,
      );
    });

    it('does not find revoked or expired keys; only the owner (or an admin) revokes', async () => {
      const owner = await user();
      const hash = randomUUID();
      const key = await repos.apiKeys.create({
        owner_id: owner.id,
        name: 'k',
        prefix: 'p',
        key_hash: hash,
        scopes: ['read'],
      });
      assert.equal(await repos.apiKeys.revoke(key.id, randomUUID()), false);
      assert.ok(await repos.apiKeys.findByHash(hash));
      assert.equal(await repos.apiKeys.revoke(key.id, owner.id), true);
      assert.equal(await repos.apiKeys.revoke(key.id, owner.id), false, 'already revoked');
      assert.equal(await repos.apiKeys.findByHash(hash), undefined);
      assertIso((await repos.apiKeys.get(key.id, { ownerId: owner.id }))?.revoked_at, 'revoked_at');
      assert.equal((await repos.apiKeys.listByOwner(owner.id, { includeRevoked: false })).length, 0);

      const expiring = await repos.apiKeys.create({
        owner_id: owner.id,
        name: 'exp',
        prefix: 'p',
        key_hash: `${hash}-e`,
        scopes: [],
        expires_at: new Date('2030-01-01T00:00:00Z'),
      });
      assert.equal(expiring.expires_at, '2030-01-01T00:00:00.000Z');
      assert.ok(await repos.apiKeys.findByHash(`${hash}-e`, new Date('2029-12-31T23:59:59Z')));
      assert.equal(await repos.apiKeys.findByHash(`${hash}-e`, new Date('2030-01-01T00:00:01Z')), undefined);
    });

    it('records when a key was last used', async () => {
      const owner = await user();
      const key = await repos.apiKeys.create({
        owner_id: owner.id,
        name: 'k',
        prefix: 'p',
        key_hash: randomUUID(),
        scopes: [],
      });
      assert.equal(key.last_used_at, null);
      await repos.apiKeys.touchLastUsed(key.id, new Date('2025-03-04T05:06:07.089Z'));
      assert.equal((await repos.apiKeys.get(key.id))?.last_used_at, '2025-03-04T05:06:07.089Z');
    });
  });

  describe('flows', () => {
    it('creates a flow with version 1 and round-trips its JSON exactly', async () => {
      const owner = randomUUID();
      const flow = await repos.flows.create({
        owner_id: owner,
        name: 'Fetch devices',
        nodes: NODES,
        edges: EDGES,
        trigger: { type: 'cron', schedule: '0 9 * * *', timezone: 'Europe/Berlin' },
        settings: { max_concurrency: 3, tags: ['a', 'b'], nested: { deep: [{ x: null }] } },
      });
      assert.equal(flow.version, 1);
      assert.equal(flow.status, 'draft');
      assert.equal(flow.enabled, true);
      assert.equal(flow.description, '');
      assert.equal(flow.deleted_at, null);
      assertIso(flow.created_at, 'created_at');
      assertIso(flow.updated_at, 'updated_at');

      const got = await repos.flows.get(flow.id);
      assert.deepEqual(got, flow);
      assert.deepEqual(got?.nodes, NODES);
      assert.deepEqual(got?.edges, EDGES);
      assert.equal(got?.trigger.timezone, 'Europe/Berlin');

      const versions = await repos.flows.listVersions(flow.id);
      assert.equal(versions.length, 1);
      assert.equal(versions[0].version, 1);
      assert.equal(versions[0].author_id, owner);
      assert.ok(!('definition' in versions[0]));
      const v1 = await repos.flows.getVersion(flow.id, 1);
      assert.deepEqual(v1?.definition, definitionOf(flow));
      assert.equal(v1?.definition_hash, hashDefinition(definitionOf(flow)));
      assertIso(v1?.created_at, 'version created_at');
    });

    it("hides other owners' flows unless no owner is given (admin)", async () => {
      const owner = randomUUID();
      const flow = await repos.flows.create({ owner_id: owner, name: 'mine' });
      assert.equal((await repos.flows.get(flow.id, { ownerId: owner }))?.id, flow.id);
      assert.equal(await repos.flows.get(flow.id, { ownerId: randomUUID() }), undefined);
      assert.equal((await repos.flows.get(flow.id))?.id, flow.id);
      assert.equal(
        await repos.flows.update(flow.id, { name: 'stolen' }, { ownerId: randomUUID() }),
        undefined,
      );
      assert.equal(await repos.flows.softDelete(flow.id, { ownerId: randomUUID() }), false);
      assert.equal((await repos.flows.get(flow.id))?.name, 'mine');
      assert.equal(await repos.flows.get(randomUUID()), undefined);
      assert.equal(await repos.flows.get('not-a-uuid'), undefined);
    });

    describe('list', () => {
      const owner = randomUUID();
      const other = randomUUID();

      before(async () => {
        for (let i = 0; i < 25; i++) {
          await repos.flows.create({
            owner_id: owner,
            name: `Flow ${String(i).padStart(2, '0')}`,
            description: i % 5 === 0 ? 'Sends the INVOICE report' : 'other',
            status: i % 2 === 0 ? 'published' : 'draft',
            nodes: NODES,
          });
        }
        await repos.flows.create({ owner_id: owner, name: 'alpha', description: '100% done' });
        await repos.flows.create({ owner_id: owner, name: 'Beta_x' });
        await repos.flows.create({ owner_id: other, name: 'Foreign invoice' });
      });

      it('paginates with a total of every matching flow and omits the graph', async () => {
        const first = await repos.flows.list({ ownerId: owner, skip: 0, limit: 10 });
        assert.equal(first.total, 27);
        assert.equal(first.items.length, 10);
        const last = await repos.flows.list({ ownerId: owner, skip: 20, limit: 10 });
        assert.equal(last.total, 27);
        assert.equal(last.items.length, 7);
        const beyond = await repos.flows.list({ ownerId: owner, skip: 100, limit: 10 });
        assert.deepEqual(beyond, { items: [], total: 27 });
        for (const item of first.items) {
          assert.ok(!('nodes' in item) && !('edges' in item), 'no nodes/edges in list items');
          assert.equal(typeof item.enabled, 'boolean');
          assert.equal(typeof item.trigger, 'object');
          assertIso(item.updated_at, 'updated_at');
        }
        const ids = new Set(
          [
            ...first.items,
            ...(await repos.flows.list({ ownerId: owner, skip: 10, limit: 10 })).items,
            ...last.items,
          ].map((f) => f.id),
        );
        assert.equal(ids.size, 27, 'pages do not overlap');
      });

      it('searches name and description case-insensitively, with LIKE wildcards taken literally', async () => {
        const invoice = await repos.flows.list({ ownerId: owner, search: 'invoice', limit: 100 });
        assert.equal(invoice.total, 5);
        assert.ok(invoice.items.every((f) => f.description === 'Sends the INVOICE report'));
        assert.equal((await repos.flows.list({ ownerId: owner, search: 'FLOW 1', limit: 100 })).total, 10);
        assert.deepEqual(
          (await repos.flows.list({ ownerId: owner, search: '100%' })).items.map((f) => f.name),
          ['alpha'],
        );
        assert.deepEqual(
          (await repos.flows.list({ ownerId: owner, search: 'a_x' })).items.map((f) => f.name),
          ['Beta_x'],
        );
        assert.equal((await repos.flows.list({ ownerId: owner, search: '%' })).total, 1);
        assert.equal(
          (await repos.flows.list({ search: 'invoice', limit: 100 })).items.filter(
            (f) => f.owner_id === other,
          ).length,
          1,
          'admin sees every owner',
        );
      });

      it('filters by status', async () => {
        const published = await repos.flows.list({ ownerId: owner, status: 'published', limit: 100 });
        assert.equal(published.total, 13);
        assert.ok(published.items.every((f) => f.status === 'published'));
      });

      it('sorts by name (ignoring case) and by dates in either order', async () => {
        const asc = await repos.flows.list({ ownerId: owner, sortBy: 'name', sortOrder: 'asc', limit: 3 });
        assert.deepEqual(
          asc.items.map((f) => f.name),
          ['alpha', 'Beta_x', 'Flow 00'],
        );
        const desc = await repos.flows.list({ ownerId: owner, sortBy: 'name', sortOrder: 'desc', limit: 2 });
        assert.deepEqual(
          desc.items.map((f) => f.name),
          ['Flow 24', 'Flow 23'],
        );

        const byCreated = (
          await repos.flows.list({ ownerId: owner, sortBy: 'created_at', sortOrder: 'asc', limit: 100 })
        ).items;
        const created = byCreated.map((f) => f.created_at);
        assert.deepEqual(created, [...created].sort());
        assert.equal(byCreated[0].name, 'Flow 00');

        await sleep(2);
        const touched = byCreated[5];
        await repos.flows.update(touched.id, { description: 'touched' });
        const recent = await repos.flows.list({ ownerId: owner, limit: 1 });
        assert.equal(recent.items[0].id, touched.id, 'default order: most recently updated first');
      });
    });

    it('increments the head version and snapshots the definition only when asked', async () => {
      const owner = randomUUID();
      const flow = await repos.flows.create({ owner_id: owner, name: 'v', nodes: NODES, edges: EDGES });
      await sleep(2);
      const renamed = await repos.flows.update(flow.id, {
        name: 'renamed',
        status: 'published',
        enabled: false,
      });
      assert.equal(renamed?.version, 1);
      assert.equal(renamed?.enabled, false);
      assert.ok(renamed && renamed.updated_at > flow.updated_at);
      assert.equal((await repos.flows.listVersions(flow.id)).length, 1);

      const newNodes = [...NODES, { id: 'end', type: 'end', data: { output: '{{ fetch.result }}' } }];
      const author = randomUUID();
      const v2 = await repos.flows.update(
        flow.id,
        { nodes: newNodes, edges: [...EDGES, { source: 'fetch', target: 'end' }] },
        { newVersion: { author_id: author, comment: 'add end' } },
      );
      assert.equal(v2?.version, 2);
      assert.deepEqual(v2?.nodes, newNodes);
      assert.equal(v2?.name, 'renamed');

      const versions = await repos.flows.listVersions(flow.id);
      assert.deepEqual(
        versions.map((v) => v.version),
        [2, 1],
      );
      assert.equal(versions[0].comment, 'add end');
      assert.equal(versions[0].author_id, author);
      const snap = await repos.flows.getVersion(flow.id, 2);
      assert.deepEqual(snap?.definition.nodes, newNodes);
      assert.equal(snap?.definition_hash, hashDefinition(definitionOf(v2!)));
      assert.deepEqual(
        (await repos.flows.getVersion(flow.id, 1))?.definition.nodes,
        NODES,
        'old versions are immutable',
      );
      assert.equal(await repos.flows.getVersion(flow.id, 3), undefined);

      const v3 = await repos.flows.update(flow.id, {}, { newVersion: { definition_hash: 'given-hash' } });
      assert.equal(v3?.version, 3);
      assert.equal((await repos.flows.getVersion(flow.id, 3))?.definition_hash, 'given-hash');
    });

    it('gives concurrent versioned updates distinct version numbers', async () => {
      const flow = await repos.flows.create({ owner_id: randomUUID(), name: 'race' });
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          repos.flows.update(flow.id, { settings: { i } }, { newVersion: { comment: `c${i}` } }),
        ),
      );
      assert.deepEqual(results.map((r) => r?.version).sort(), [2, 3, 4, 5, 6, 7]);
      assert.equal((await repos.flows.get(flow.id))?.version, 7);
      assert.deepEqual(
        (await repos.flows.listVersions(flow.id)).map((v) => v.version),
        [7, 6, 5, 4, 3, 2, 1],
      );
      for (const r of results) {
        assert.deepEqual(
          (await repos.flows.getVersion(flow.id, r!.version))?.definition.settings,
          r!.settings,
        );
      }
    });

    it('soft-deletes: the flow disappears but its versions stay readable', async () => {
      const owner = randomUUID();
      const flow = await repos.flows.create({ owner_id: owner, name: 'doomed', nodes: NODES });
      assert.equal(await repos.flows.softDelete(flow.id, { ownerId: owner }), true);
      assert.equal(await repos.flows.softDelete(flow.id), false, 'already deleted');
      assert.equal(await repos.flows.get(flow.id), undefined);
      assert.equal(await repos.flows.get(flow.id, { ownerId: owner }), undefined);
      assertIso((await repos.flows.get(flow.id, { includeDeleted: true }))?.deleted_at, 'deleted_at');
      assert.equal((await repos.flows.list({ ownerId: owner })).total, 0);
      assert.equal(await repos.flows.update(flow.id, { name: 'zombie' }), undefined);
      assert.deepEqual((await repos.flows.getVersion(flow.id, 1))?.definition.nodes, NODES);
    });

    it('lists enabled flows by trigger type and event', async () => {
      const owner = randomUUID();
      const a = await repos.flows.create({
        owner_id: owner,
        name: 'a',
        trigger: { type: 'event', event: 'order.created' },
      });
      await repos.flows.create({
        owner_id: owner,
        name: 'b',
        trigger: { type: 'event', event: 'order.paid' },
      });
      await repos.flows.create({
        owner_id: owner,
        name: 'c',
        trigger: { type: 'event', event: 'order.created' },
        enabled: false,
      });
      const d = await repos.flows.create({
        owner_id: owner,
        name: 'd',
        trigger: { type: 'cron', schedule: '* * * * *' },
      });
      const gone = await repos.flows.create({
        owner_id: owner,
        name: 'e',
        trigger: { type: 'event', event: 'order.created' },
      });
      await repos.flows.softDelete(gone.id);
      await repos.flows.create({
        owner_id: randomUUID(),
        name: 'f',
        trigger: { type: 'event', event: 'order.created' },
      });

      const created = await repos.flows.listTriggered({
        ownerId: owner,
        triggerType: 'event',
        event: 'order.created',
      });
      assert.deepEqual(
        created.map((f) => f.id),
        [a.id],
      );
      assert.deepEqual(created[0].nodes, []);
      assert.deepEqual(
        (await repos.flows.listTriggered({ ownerId: owner, triggerType: 'cron' })).map((f) => f.id),
        [d.id],
      );
      assert.equal(
        (await repos.flows.listTriggered({ triggerType: 'event', event: 'order.created' })).filter(
          (f) => f.name === 'f',
        ).length,
        1,
      );
      assert.equal((await repos.flows.list({ ownerId: owner, triggerType: 'event' })).total, 3);
    });
  });

  describe('executions', () => {
    it('creates a pending run with its Temporal workflow id and round-trips any JSON', async () => {
      const owner = randomUUID();
      for (const input of [{ a: [1, { b: 'ü' }], n: null }, 'plain string', 42, [1, 'two'], true, null]) {
        const run = await repos.executions.create({
          flow_id: randomUUID(),
          flow_version: 3,
          owner_id: owner,
          trigger: { type: 'manual' },
          input_data: input,
        });
        assert.equal(run.status, 'pending');
        assert.equal(run.flow_version, 3);
        assert.equal(run.temporal_workflow_id, `run-${run.id}`);
        assertIso(run.created_at, 'created_at');
        const got = await repos.executions.get(run.id);
        assert.deepEqual(got?.input_data, input);
        assert.deepEqual(got, run);
      }
    });

    it('scopes reads to the owner', async () => {
      const owner = randomUUID();
      const run = await repos.executions.create({
        flow_id: randomUUID(),
        flow_version: 1,
        owner_id: owner,
        trigger: { type: 'api' },
      });
      assert.equal((await repos.executions.get(run.id, { ownerId: owner }))?.id, run.id);
      assert.equal(await repos.executions.get(run.id, { ownerId: randomUUID() }), undefined);
      assert.equal((await repos.executions.get(run.id))?.id, run.id);
      assert.equal((await repos.executions.list({ ownerId: randomUUID() })).total, 0);
    });

    it('makes idempotency keys unique per owner', async () => {
      const owner = randomUUID();
      const base = {
        flow_id: randomUUID(),
        flow_version: 1,
        owner_id: owner,
        trigger: { type: 'api' as const },
        idempotency_key: 'order-17',
      };
      const first = await repos.executions.create(base);
      await assert.rejects(repos.executions.create(base), UniqueViolationError);
      assert.equal((await repos.executions.findByIdempotencyKey(owner, 'order-17'))?.id, first.id);
      assert.equal(await repos.executions.findByIdempotencyKey(owner, 'order-18'), undefined);
      const otherOwner = await repos.executions.create({ ...base, owner_id: randomUUID() });
      assert.notEqual(otherOwner.id, first.id);

      const again = await repos.executions.createOrGet(base);
      assert.deepEqual(again, { execution: first, created: false });
      const fresh = await repos.executions.createOrGet({ ...base, idempotency_key: 'order-19' });
      assert.equal(fresh.created, true);
      const raced = await Promise.all(
        [1, 2, 3].map(() => repos.executions.createOrGet({ ...base, idempotency_key: 'order-20' })),
      );
      assert.equal(raced.filter((r) => r.created).length, 1);
      assert.equal(new Set(raced.map((r) => r.execution.id)).size, 1);

      const noKey = await Promise.all(
        [1, 2].map(() => repos.executions.create({ ...base, idempotency_key: null })),
      );
      assert.notEqual(noKey[0].id, noKey[1].id, 'runs without a key never collide');
    });

    it('marks a run started: pending becomes running, a paused run stays paused, a finished run is untouched', async () => {
      const create = () =>
        repos.executions.create({ flow_id: randomUUID(), flow_version: 1, owner_id: randomUUID(), trigger: { type: 'manual' } });
      const pending = await create();
      await repos.executions.markStarted(pending.id, { temporal_run_id: 'r1', started_at: '2025-01-01T00:00:00Z' });
      const started = await repos.executions.get(pending.id);
      assert.equal(started?.status, 'running');
      assert.equal(started?.temporal_run_id, 'r1');
      assert.equal(started?.started_at, '2025-01-01T00:00:00.000Z');

      // A continued run reports its start again, with a new run id, while it is paused.
      await repos.executions.update(pending.id, { status: 'paused' });
      await repos.executions.markStarted(pending.id, { temporal_run_id: 'r2' });
      const continued = await repos.executions.get(pending.id);
      assert.equal(continued?.status, 'paused');
      assert.equal(continued?.temporal_run_id, 'r2');
      assert.equal(continued?.started_at, '2025-01-01T00:00:00.000Z');

      const done = await create();
      await repos.executions.update(done.id, { status: 'completed', temporal_run_id: 'r1' });
      await repos.executions.markStarted(done.id, { temporal_run_id: 'late', started_at: '2025-01-02T00:00:00Z' });
      const after = await repos.executions.get(done.id);
      assert.equal(after?.status, 'completed');
      assert.equal(after?.temporal_run_id, 'r1');
      assert.equal(after?.started_at, null);
    });

    it('updates progress, guarded by the current status', async () => {
      const run = await repos.executions.create({
        flow_id: randomUUID(),
        flow_version: 1,
        owner_id: randomUUID(),
        trigger: { type: 'manual' },
      });
      const running = await repos.executions.update(run.id, {
        status: 'running',
        started_at: new Date('2025-01-01T00:00:00Z'),
        temporal_run_id: 'r1',
      });
      assert.equal(running?.status, 'running');
      assert.equal(running?.started_at, '2025-01-01T00:00:00.000Z');
      assert.equal(running?.temporal_run_id, 'r1');

      const done = await repos.executions.update(
        run.id,
        {
          status: 'completed',
          output_data: { result: [1, 2] },
          finished_at: '2025-01-01T00:00:01.5Z',
          execution_time_ms: 3_000_000_000,
        },
        { ifStatusIn: ['pending', 'running'] },
      );
      assert.equal(done?.status, 'completed');
      assert.deepEqual(done?.output_data, { result: [1, 2] });
      assert.equal(done?.finished_at, '2025-01-01T00:00:01.500Z');
      assert.equal(done?.execution_time_ms, 3_000_000_000);

      const late = await repos.executions.update(
        run.id,
        { status: 'running' },
        { ifStatusIn: ['pending', 'running'] },
      );
      assert.equal(late, undefined, 'a terminal run is not overwritten');
      assert.equal((await repos.executions.get(run.id))?.status, 'completed');

      const failed = await repos.executions.update(run.id, {
        error: { message: 'boom', node_id: 'fetch' },
        output_data: null,
      });
      assert.deepEqual(failed?.error, { message: 'boom', node_id: 'fetch' });
      assert.equal(failed?.output_data, null);
      assert.equal(await repos.executions.update(randomUUID(), { status: 'failed' }), undefined);
    });

    describe('list', () => {
      const owner = randomUUID();
      let flowA: string;
      let flowB: string;
      const ids: string[] = [];

      before(async () => {
        flowA = (await repos.flows.create({ owner_id: owner, name: 'Nightly Billing' })).id;
        flowB = (await repos.flows.create({ owner_id: owner, name: 'Cleanup' })).id;
        const statuses = ['completed', 'failed', 'running', 'waiting'] as const;
        for (let i = 0; i < 12; i++) {
          const run = await repos.executions.create({
            flow_id: i < 8 ? flowA : flowB,
            flow_version: 1,
            owner_id: owner,
            trigger: { type: 'manual' },
            status: statuses[i % 4],
          });
          // Spread creation over distinct days so since/until and ordering are deterministic.
          await ctx
            .db('executions')
            .where({ id: run.id })
            .update({ created_at: `2025-02-${String(i + 1).padStart(2, '0')}T12:00:00.000Z` });
          ids.push(run.id);
        }
        await repos.executions.create({
          flow_id: flowA,
          flow_version: 1,
          owner_id: randomUUID(),
          trigger: { type: 'manual' },
        });
      });

      it('returns the newest runs first with totals and the flow name', async () => {
        const page = await repos.executions.list({ ownerId: owner, limit: 5 });
        assert.equal(page.total, 12);
        assert.deepEqual(
          page.items.map((r) => r.id),
          ids.slice(7).reverse(),
        );
        assert.equal(page.items[0].flow_name, 'Cleanup');
        assert.equal(page.items[4].flow_name, 'Nightly Billing');
        const rest = await repos.executions.list({ ownerId: owner, skip: 10, limit: 5 });
        assert.deepEqual(
          rest.items.map((r) => r.id),
          [ids[1], ids[0]],
        );
      });

      it('filters by flow, status, time window and search', async () => {
        assert.equal((await repos.executions.list({ ownerId: owner, flowId: flowB })).total, 4);
        const failedOrWaiting = await repos.executions.list({
          ownerId: owner,
          status: ['failed', 'waiting'],
          limit: 100,
        });
        assert.equal(failedOrWaiting.total, 6);
        assert.ok(failedOrWaiting.items.every((r) => r.status === 'failed' || r.status === 'waiting'));
        assert.equal((await repos.executions.list({ ownerId: owner, status: 'completed' })).total, 3);

        const window = await repos.executions.list({
          ownerId: owner,
          since: '2025-02-03T00:00:00Z',
          until: new Date('2025-02-05T12:00:00Z'),
          limit: 100,
        });
        assert.deepEqual(
          window.items.map((r) => r.id),
          [ids[4], ids[3], ids[2]],
        );

        assert.equal(
          (await repos.executions.list({ ownerId: owner, search: 'billing', limit: 100 })).total,
          8,
        );
        assert.equal(
          (await repos.executions.list({ ownerId: owner, search: 'CLEAN', status: 'running' })).total,
          1,
        );
        const byId = await repos.executions.list({
          ownerId: owner,
          search: ids[5].slice(0, 13).toUpperCase(),
        });
        assert.deepEqual(
          byId.items.map((r) => r.id),
          [ids[5]],
        );
      });

      it('lists active runs and counts runs per status', async () => {
        const active = await repos.executions.listActive();
        const mine = active.filter((r) => r.owner_id === owner);
        assert.equal(mine.length, 6);
        assert.ok(active.every((r) => ['pending', 'running', 'paused', 'waiting'].includes(r.status)));
        assert.deepEqual(await repos.executions.countByStatus({ ownerId: owner }), {
          completed: 3,
          failed: 3,
          running: 3,
          waiting: 3,
        });
        assert.deepEqual(await repos.executions.countByStatus({ ownerId: owner, flowId: flowB }), {
          completed: 1,
          failed: 1,
          running: 1,
          waiting: 1,
        });
      });
    });
  });

  describe('logs', () => {
    it('writes large batches and pages them in order, filtered by level and node', async () => {
      const executionId = randomUUID();
      const at = new Date('2025-05-01T10:00:00.000Z');
      const rows = Array.from({ length: 1203 }, (_, i) => ({
        execution_id: executionId,
        node_id: i % 3 === 0 ? 'fetch' : i % 3 === 1 ? 'check' : null,
        node_type: i % 3 === 0 ? 'http-request' : null,
        level: (i % 50 === 0 ? 'error' : i % 2 === 0 ? 'info' : 'debug') as 'error' | 'info' | 'debug',
        message: `line ${i}`,
        data: i === 7 ? { status: 200, body: ['x', { y: null }] } : undefined,
        duration_ms: i === 7 ? 125 : undefined,
        // Many lines share a millisecond: order must still be insertion order.
        timestamp: new Date(at.getTime() + Math.floor(i / 100)),
      }));
      assert.equal(await repos.logs.insertMany(rows), 1203);
      assert.equal(await repos.logs.insertMany([]), 0);

      const all = await repos.logs.list(executionId, { limit: 2000 });
      assert.equal(all.total, 1203);
      assert.deepEqual(
        all.items.map((l) => l.message),
        rows.map((r) => r.message),
      );
      const seven = all.items[7];
      assert.deepEqual(seven.data, { status: 200, body: ['x', { y: null }] });
      assert.equal(seven.duration_ms, 125);
      assert.equal(all.items[8].data, null);
      assert.equal(all.items[0].timestamp, '2025-05-01T10:00:00.000Z');
      assertIso(all.items[1202].timestamp, 'timestamp');

      const page = await repos.logs.list(executionId, { skip: 100, limit: 3 });
      assert.equal(page.total, 1203);
      assert.deepEqual(
        page.items.map((l) => l.message),
        ['line 100', 'line 101', 'line 102'],
      );

      const errors = await repos.logs.list(executionId, { level: 'error', limit: 100 });
      assert.equal(errors.total, 25);
      const fetchLines = await repos.logs.list(executionId, { nodeId: 'fetch', limit: 5 });
      assert.equal(fetchLines.total, 401);
      assert.ok(fetchLines.items.every((l) => l.node_id === 'fetch' && l.node_type === 'http-request'));
      assert.equal((await repos.logs.list(executionId, { nodeId: 'fetch', level: 'error' })).total, 9);
      assert.equal((await repos.logs.list(randomUUID())).total, 0);
    });

    it("summarises a run's logs by level and node with the error lines", async () => {
      const executionId = randomUUID();
      await repos.logs.insertMany([
        { execution_id: executionId, level: 'info', message: 'run started' },
        {
          execution_id: executionId,
          node_id: 'fetch',
          node_type: 'http-request',
          level: 'info',
          message: 'GET',
          duration_ms: 120,
        },
        {
          execution_id: executionId,
          node_id: 'fetch',
          node_type: 'http-request',
          level: 'warn',
          message: 'slow',
        },
        {
          execution_id: executionId,
          node_id: 'fetch',
          node_type: 'http-request',
          level: 'error',
          message: 'HTTP 500',
          data: { status: 500 },
          duration_ms: 30,
        },
        {
          execution_id: executionId,
          node_id: 'notify',
          node_type: 'email-send',
          level: 'error',
          message: 'SMTP down',
        },
        { execution_id: randomUUID(), node_id: 'fetch', level: 'error', message: 'another run' },
      ]);
      const summary = await repos.logs.summary(executionId);
      assert.equal(summary.total_logs, 5);
      assert.deepEqual(summary.level_stats, { info: 2, warn: 1, error: 2 });
      // Seed 001's shape: per node its type, line count and summed duration_ms, in first-logged order.
      assert.deepEqual(summary.node_stats, [
        { node_id: 'fetch', node_type: 'http-request', log_count: 3, total_duration_ms: 150 },
        { node_id: 'notify', node_type: 'email-send', log_count: 1, total_duration_ms: 0 },
      ]);
      assert.deepEqual(
        summary.error_logs.map((l) => [l.node_id, l.message, l.data]),
        [
          ['fetch', 'HTTP 500', { status: 500 }],
          ['notify', 'SMTP down', null],
        ],
      );
      assert.deepEqual(await repos.logs.summary(randomUUID()), {
        total_logs: 0,
        level_stats: {},
        node_stats: [],
        error_logs: [],
      });

      assert.equal(await repos.logs.deleteByExecution(executionId), 5);
      assert.equal((await repos.logs.summary(executionId)).total_logs, 0);
    });
  });

  describe('credentials', () => {
    it('stores ciphertext per owner with unique names and never lists it', async () => {
      const owner = randomUUID();
      const other = randomUUID();
      const smtp = await repos.credentials.create({
        owner_id: owner,
        name: 'smtp',
        type: 'smtp',
        encrypted_data: 'v1:iv:tag:ct',
      });
      await repos.credentials.create({
        owner_id: owner,
        name: 'api',
        type: 'http-header',
        encrypted_data: 'x',
      });
      await repos.credentials.create({ owner_id: other, name: 'smtp', type: 'smtp', encrypted_data: 'y' });
      await assert.rejects(
        repos.credentials.create({ owner_id: owner, name: 'smtp', type: 'smtp', encrypted_data: 'z' }),
        UniqueViolationError,
      );

      assert.deepEqual(await repos.credentials.get(smtp.id, { ownerId: owner }), smtp);
      assert.equal(await repos.credentials.get(smtp.id, { ownerId: other }), undefined);
      assert.equal((await repos.credentials.findByName(owner, 'smtp'))?.encrypted_data, 'v1:iv:tag:ct');

      const listed = await repos.credentials.list({ ownerId: owner });
      assert.equal(listed.total, 2);
      assert.deepEqual(
        listed.items.map((c) => c.name),
        ['api', 'smtp'],
      );
      assert.ok(listed.items.every((c) => !('encrypted_data' in c)));
      assert.equal((await repos.credentials.list({ ownerId: owner, type: 'smtp' })).total, 1);

      assert.equal(
        await repos.credentials.update(smtp.id, { encrypted_data: 'new' }, { ownerId: other }),
        undefined,
      );
      const updated = await repos.credentials.update(
        smtp.id,
        { encrypted_data: 'new', name: 'mail' },
        { ownerId: owner },
      );
      assert.equal(updated?.encrypted_data, 'new');
      assert.equal(updated?.name, 'mail');
      await assert.rejects(repos.credentials.update(smtp.id, { name: 'api' }), UniqueViolationError);

      assert.equal(await repos.credentials.delete(smtp.id, { ownerId: other }), false);
      assert.equal(await repos.credentials.delete(smtp.id, { ownerId: owner }), true);
      assert.equal(await repos.credentials.get(smtp.id), undefined);
    });
  });

  describe('eventsSeen', () => {
    it('claims an event key once per owner and remembers the runs it started', async () => {
      const owner = randomUUID();
      const first = await repos.eventsSeen.claim({
        owner_id: owner,
        event_type: 'order.created',
        event_key: 'evt-1',
      });
      assert.equal(first.created, true);
      assert.deepEqual(first.event.execution_ids, []);
      await repos.eventsSeen.setExecutionIds(first.event.id, ['r1', 'r2']);

      const again = await repos.eventsSeen.claim({
        owner_id: owner,
        event_type: 'order.created',
        event_key: 'evt-1',
      });
      assert.equal(again.created, false);
      assert.equal(again.event.id, first.event.id);
      assert.deepEqual(again.event.execution_ids, ['r1', 'r2']);

      const racing = await Promise.all(
        [1, 2, 3].map(() => repos.eventsSeen.claim({ owner_id: owner, event_type: 't', event_key: 'evt-2' })),
      );
      assert.equal(racing.filter((r) => r.created).length, 1);

      assert.equal(
        (
          await repos.eventsSeen.claim({
            owner_id: randomUUID(),
            event_type: 'order.created',
            event_key: 'evt-1',
          })
        ).created,
        true,
      );
      assert.equal((await repos.eventsSeen.list({ ownerId: owner })).total, 2);
      assert.equal((await repos.eventsSeen.find(owner, 'evt-1'))?.event_type, 'order.created');

      await ctx
        .db('events_seen')
        .where({ id: first.event.id })
        .update({ created_at: '2020-01-01T00:00:00.000Z' });
      assert.ok((await repos.eventsSeen.deleteOlderThan(new Date('2021-01-01T00:00:00Z'))) >= 1);
      assert.equal(await repos.eventsSeen.find(owner, 'evt-1'), undefined);
      assert.equal(
        (await repos.eventsSeen.claim({ owner_id: owner, event_type: 'order.created', event_key: 'evt-1' }))
          .created,
        true,
      );
    });
  });

  describe('webhooks', () => {
    it('tells whether any subscription is active', async () => {
      await ctx.db('webhook_deliveries').delete();
      await ctx.db('webhooks').delete();
      assert.equal(await repos.webhooks.anyActive(), false);
      const base = { owner_id: randomUUID(), url: 'https://example.test/any', events: ['*'] };
      const off = await repos.webhooks.create({ ...base, active: false });
      assert.equal(await repos.webhooks.anyActive(), false, 'an inactive subscription does not count');
      await repos.webhooks.create(base);
      assert.equal(await repos.webhooks.anyActive(), true);
      await repos.webhooks.delete(off.id);
    });

    it('manages subscriptions per owner and finds the ones for an event', async () => {
      const owner = randomUUID();
      const orders = await repos.webhooks.create({
        owner_id: owner,
        url: 'https://example.test/a',
        events: ['execution_completed', 'execution_failed'],
        secret_encrypted: 'enc',
      });
      const all = await repos.webhooks.create({
        owner_id: owner,
        url: 'https://example.test/b',
        events: ['*'],
      });
      const off = await repos.webhooks.create({
        owner_id: owner,
        url: 'https://example.test/c',
        events: ['execution_failed'],
        active: false,
      });
      assert.equal(orders.active, true);
      assert.equal(off.active, false);
      assert.deepEqual(orders.events, ['execution_completed', 'execution_failed']);

      assert.deepEqual(
        (await repos.webhooks.listActiveForEvent(owner, 'execution_failed')).map((w) => w.id).sort(),
        [orders.id, all.id].sort(),
      );
      assert.deepEqual(
        (await repos.webhooks.listActiveForEvent(owner, 'log')).map((w) => w.id),
        [all.id],
      );
      assert.deepEqual(await repos.webhooks.listActiveForEvent(randomUUID(), 'log'), []);

      assert.equal((await repos.webhooks.list({ ownerId: owner })).total, 3);
      assert.equal(await repos.webhooks.get(orders.id, { ownerId: randomUUID() }), undefined);
      const updated = await repos.webhooks.update(
        all.id,
        { active: false, events: ['log'] },
        { ownerId: owner },
      );
      assert.equal(updated?.active, false);
      assert.deepEqual(updated?.events, ['log']);
      assert.equal(
        await repos.webhooks.update(all.id, { active: true }, { ownerId: randomUUID() }),
        undefined,
      );
      assert.deepEqual(
        (await repos.webhooks.listActiveForEvent(owner, 'log')).map((w) => w.id),
        [],
      );
    });

    it('logs deliveries per subscription and deletes them with it', async () => {
      const owner = randomUUID();
      const hook = await repos.webhooks.create({
        owner_id: owner,
        url: 'https://example.test/h',
        events: ['*'],
      });
      await repos.webhookDeliveries.create({
        webhook_id: hook.id,
        event: 'execution_failed',
        status_code: 500,
        success: false,
        error: 'HTTP 500',
      });
      await sleep(2);
      const ok = await repos.webhookDeliveries.create({
        webhook_id: hook.id,
        event: 'execution_failed',
        status_code: 200,
        success: true,
        attempt: 2,
      });
      assert.equal(ok.success, true);
      assert.equal(ok.attempt, 2);
      assertIso(ok.created_at, 'created_at');

      const page = await repos.webhookDeliveries.list(hook.id, { ownerId: owner });
      assert.equal(page.total, 2);
      assert.deepEqual(
        page.items.map((d) => [d.status_code, d.success, d.attempt, d.error]),
        [
          [200, true, 2, null],
          [500, false, 1, 'HTTP 500'],
        ],
      );
      assert.deepEqual(await repos.webhookDeliveries.list(hook.id, { ownerId: randomUUID() }), {
        items: [],
        total: 0,
      });
      await assert.rejects(
        repos.webhookDeliveries.create({ webhook_id: randomUUID(), event: 'x', success: true }),
        'delivery needs its webhook',
      );

      assert.equal(await repos.webhooks.delete(hook.id, { ownerId: randomUUID() }), false);
      assert.equal(await repos.webhooks.delete(hook.id, { ownerId: owner }), true);
      assert.equal((await repos.webhookDeliveries.list(hook.id)).total, 0);
    });
  });

  describe('prepared reads', () => {
    it('keep working when another process adds a column to flows (they name their columns)', async () => {
      const owner = randomUUID();
      const flow = await repos.flows.create({ owner_id: owner, name: 'schema change' });
      // Several at once, so every pooled connection has the statements prepared before and uses them after.
      const readAll = async () => {
        const got = await Promise.all(Array.from({ length: 6 }, () => repos.flows.get(flow.id)));
        assert.deepEqual(got.map((f) => f?.name), Array(6).fill('schema change'));
        const pages = await Promise.all(Array.from({ length: 6 }, () => repos.flows.list({ ownerId: owner })));
        assert.deepEqual(pages.map((p) => p.total), Array(6).fill(1));
      };
      await readAll();
      await ctx.db.schema.alterTable('flows', (t) => t.text('added_by_a_newer_release').nullable());
      try {
        await readAll();
      } finally {
        await ctx.db.schema.alterTable('flows', (t) => t.dropColumn('added_by_a_newer_release'));
      }
    });

    it('answer concurrent flow lookups with one query, each caller getting its own flow or nothing', async () => {
      const owner = randomUUID();
      const a = await repos.flows.create({ owner_id: owner, name: 'a "quoted" \\ name', nodes: NODES });
      const b = await repos.flows.create({ owner_id: owner, name: 'b' });
      const gone = await repos.flows.create({ owner_id: owner, name: 'deleted' });
      await repos.flows.softDelete(gone.id);
      // Every statement outside a transaction takes a pooled connection: count those.
      const client = ctx.db.client as { acquireConnection(): Promise<unknown> };
      const acquire = client.acquireConnection;
      let acquired = 0;
      client.acquireConnection = function (this: unknown) {
        acquired++;
        return acquire.call(this);
      };
      let got;
      try {
        got = await Promise.all([
          repos.flows.get(a.id, { ownerId: owner }),
          repos.flows.get(b.id),
          repos.flows.get(a.id),
          repos.flows.get(b.id, { ownerId: randomUUID() }),
          repos.flows.get(gone.id),
          repos.flows.get(randomUUID()),
        ]);
      } finally {
        client.acquireConnection = acquire;
      }
      assert.equal(acquired, 1, 'six lookups, one statement');
      assert.deepEqual(
        got.map((f) => f?.name),
        ['a "quoted" \\ name', 'b', 'a "quoted" \\ name', undefined, undefined, undefined],
      );
      assert.deepEqual(got[0]?.nodes, a.nodes, 'a whole row, decoded');
      assert.deepEqual(got[2], got[0]);
      assert.notEqual(got[2]?.nodes, got[0]?.nodes, 'two callers of one key do not share objects');
      assert.equal((await repos.flows.get(gone.id, { includeDeleted: true }))?.name, 'deleted');
    });

    it('fail every caller of a failed batch, and the next batch works again', async () => {
      const owner = randomUUID();
      const flow = await repos.flows.create({ owner_id: owner, name: 'survivor' });
      await ctx.db.schema.alterTable('flows', (t) => t.renameColumn('deleted_at', 'deleted_at_renamed'));
      try {
        const results = await Promise.allSettled([repos.flows.get(flow.id), repos.flows.get(randomUUID())]);
        assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
      } finally {
        await ctx.db.schema.alterTable('flows', (t) => t.renameColumn('deleted_at_renamed', 'deleted_at'));
      }
      assert.equal((await repos.flows.get(flow.id))?.name, 'survivor');
    });
  });

  describe('payloadBlobs', () => {
    it('stores bytes and metadata under their hash once and returns them exactly', async () => {
      const data = new Uint8Array(300_000).map((_, i) => i % 251);
      const blob = { sha256: 'a'.repeat(64), metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data };
      await repos.payloadBlobs.put(blob);
      await repos.payloadBlobs.put({ ...blob, data: new Uint8Array([1]) });
      const back = await repos.payloadBlobs.get(blob.sha256);
      assert.deepEqual(back?.metadata, blob.metadata);
      assert.ok(Buffer.from(back!.data).equals(Buffer.from(data)), 'the first write wins, byte for byte');
      assert.equal(await repos.payloadBlobs.get('b'.repeat(64)), undefined);
    });

    it('marks a blob used again when the same bytes are stored again', async () => {
      const blob = { sha256: 'c'.repeat(64), metadata: {}, data: new Uint8Array([1, 2, 3]) };
      await repos.payloadBlobs.put(blob);
      await ctx.db('payload_blobs').where({ sha256: blob.sha256 }).update({ last_used_at: '2000-01-01T00:00:00.000Z' });
      assert.equal(await repos.payloadBlobs.deleteUnusedBefore('1999-12-31T00:00:00.000Z'), 0);
      await repos.payloadBlobs.put(blob);
      assert.equal(await repos.payloadBlobs.deleteUnusedBefore('2000-01-02T00:00:00.000Z'), 0, 'the second put touched it');
      assert.ok(await repos.payloadBlobs.get(blob.sha256));
    });
  });

  describe('transactions', () => {
    it('repositories created over a transaction commit or roll back together', async () => {
      const owner = randomUUID();
      await assert.rejects(
        ctx.db.transaction(async (trx) => {
          const r = createRepos(trx);
          await r.credentials.create({ owner_id: owner, name: 'tx', type: 't', encrypted_data: 'x' });
          await r.webhooks.create({ owner_id: owner, url: 'https://example.test', events: [] });
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.equal((await repos.credentials.list({ ownerId: owner })).total, 0);
      assert.equal((await repos.webhooks.list({ ownerId: owner })).total, 0);
    });

    it('reads its own uncommitted flows through the prepared reads, and they are gone after a rollback', async () => {
      const owner = randomUUID();
      let id = '';
      await assert.rejects(
        ctx.db.transaction(async (trx) => {
          const r = createRepos(trx);
          id = (await r.flows.create({ owner_id: owner, name: 'in a transaction' })).id;
          assert.equal((await r.flows.get(id, { ownerId: owner }))?.name, 'in a transaction');
          const page = await r.flows.list({ ownerId: owner, search: 'TRANSACTION' });
          assert.deepEqual([page.total, page.items.map((f) => f.id)], [1, [id]]);
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.equal(await repos.flows.get(id), undefined);
      assert.equal((await repos.flows.list({ ownerId: owner })).total, 0);
    });
  });

  describe('payload collection', () => {
    it('keeps blobs a run created before their last use may still need, deletes the rest', async () => {
      // Far in the future, so this suite's other runs (marked finished long ago) play no part.
      await ctx.db('executions').update({ status: 'completed', finished_at: '2000-01-01T00:00:00.000Z' });
      await ctx.db('payload_blobs').delete();
      const day = 24 * 3_600_000;
      const now = Date.parse('2100-01-10T00:00:00.000Z');
      const blob = async (name: string, lastUsed: string) => {
        await repos.payloadBlobs.put({ sha256: name.repeat(64), metadata: {}, data: new Uint8Array([1]) });
        await ctx.db('payload_blobs').where({ sha256: name.repeat(64) }).update({ last_used_at: lastUsed });
      };
      await blob('a', '2100-01-01T00:00:00.000Z');
      await blob('b', '2100-01-05T00:00:00.000Z');
      await blob('c', '2100-01-09T12:00:00.000Z'); // within the one-day retention
      const left = async () => (await ctx.db('payload_blobs').select('sha256').orderBy('sha256')).map((r) => r.sha256[0]).join('');

      const run = await repos.executions.create({ flow_id: randomUUID(), flow_version: 1, owner_id: randomUUID(), trigger: { type: 'manual' }, status: 'running' });
      await ctx.db('executions').where({ id: run.id }).update({ created_at: '2100-01-04T00:00:00.000Z' });
      assert.deepEqual(await collectPayloadBlobs(repos, day, now), { cutoff: '2100-01-04T00:00:00.000Z', deleted: 1 });
      assert.equal(await left(), 'bc', 'a run created on the 4th may use b');

      await ctx.db('executions').where({ id: run.id }).update({ status: 'completed', finished_at: '2100-01-09T06:00:00.000Z' });
      assert.equal((await collectPayloadBlobs(repos, day, now)).deleted, 0);
      assert.equal(await left(), 'bc', 'finished within the retention: its steps are still readable');

      await ctx.db('executions').where({ id: run.id }).update({ finished_at: '2100-01-08T00:00:00.000Z' });
      assert.deepEqual(await collectPayloadBlobs(repos, day, now), { cutoff: '2100-01-09T00:00:00.000Z', deleted: 1 });
      assert.equal(await left(), 'c');
    });
  });
});
