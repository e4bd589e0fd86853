import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

const V1 = '/api/v1';

/** start → greet (noop) → end: the output is `{greeting}`. */
function greeter(name: string, greeting = 'Hello', extra: Record<string, unknown> = {}) {
  return {
    name,
    description: 'greets people',
    nodes: [
      { id: 'start', type: 'start', label: 'Start', position: { x: 0, y: 0 }, data: {} },
      {
        id: 'greet',
        type: 'noop',
        label: 'Greet',
        position: { x: 200, y: 0 },
        data: { value: `${greeting}, {{ input.name }}` },
      },
      {
        id: 'end',
        type: 'end',
        label: 'End',
        position: { x: 400, y: 0 },
        data: { output: { greeting: '{{ greet.result }}' } },
      },
    ],
    edges: [
      { source: 'start', target: 'greet' },
      { source: 'greet', target: 'end' },
    ],
    ...extra,
  };
}

describe('flows API: list, CRUD, versions, rollback, export/import, node edits', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let admin: string;
  let token: string;
  let other: string;

  before(async () => {
    tp = await startTestPlatform();
    admin = (await tp.login()).token; // the first user is the admin
    token = (await tp.login()).token;
    other = (await tp.login()).token;
  });
  after(async () => tp?.stop());

  const create = async (body: unknown, auth = token) => {
    const r = await tp.api('POST', `${V1}/workflows`, body, auth);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const versionsOf = async (id: string) => {
    const r = await tp.api('GET', `${V1}/workflows/${id}/versions`, undefined, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as { version: number; created_at: string; author_id: string; comment: string | null }[];
  };
  const run = async (id: string, body: Record<string, unknown> = {}) => {
    const r = await tp.api(
      'POST',
      `${V1}/workflows/${id}/execute`,
      { input_data: { name: 'Ada' }, wait: true, ...body },
      token,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'completed', JSON.stringify(r.body));
    return r.body;
  };

  describe('GET /workflows', () => {
    const tag = `tag${randomUUID().slice(0, 8)}`;

    before(async () => {
      await create({ ...greeter(`Bravo ${tag}`), status: 'published' });
      await create({ ...greeter('alpha'), description: `mentions ${tag} in the description` });
      await create(greeter(`charlie ${tag}`));
      await create(greeter(`delta ${tag}`), other);
    });

    it('searches name and description, filters by status, sorts and pages; items carry no graph', async () => {
      const all = await tp.api(
        'GET',
        `${V1}/workflows?search=${tag}&sort_by=name&sort_order=asc`,
        undefined,
        token,
      );
      assert.equal(all.status, 200);
      assert.equal(all.body.total, 3, 'another user\u2019s flow is not listed');
      assert.deepEqual(
        all.body.items.map((f: any) => f.name),
        ['alpha', `Bravo ${tag}`, `charlie ${tag}`],
      );
      for (const item of all.body.items) {
        assert.equal(item.nodes, undefined);
        assert.equal(item.edges, undefined);
        assert.equal(item.deleted_at, undefined);
        assert.ok(item.id && item.version === 1 && item.owner_id);
      }

      const everyone = await tp.api('GET', `${V1}/workflows?search=${tag}`, undefined, admin);
      assert.equal(everyone.body.total, 4, 'an admin sees every owner\u2019s flows');

      const desc = await tp.api(
        'GET',
        `${V1}/workflows?search=${tag.toUpperCase()}&sort_by=name&sort_order=desc&skip=1&limit=1`,
        undefined,
        token,
      );
      assert.deepEqual(
        {
          total: desc.body.total,
          skip: desc.body.skip,
          limit: desc.body.limit,
          names: desc.body.items.map((f: any) => f.name),
        },
        { total: 3, skip: 1, limit: 1, names: [`Bravo ${tag}`] },
      );

      const published = await tp.api(
        'GET',
        `${V1}/workflows?search=${tag}&status=published`,
        undefined,
        token,
      );
      assert.deepEqual(
        published.body.items.map((f: any) => f.name),
        [`Bravo ${tag}`],
      );

      const byCreation = await tp.api(
        'GET',
        `${V1}/workflows?search=${tag}&sort_by=created_at&sort_order=asc`,
        undefined,
        token,
      );
      assert.deepEqual(
        byCreation.body.items.map((f: any) => f.name),
        [`Bravo ${tag}`, 'alpha', `charlie ${tag}`],
      );
    });

    it('answers 400 with the offending parameter for wrong query types', async () => {
      for (const [query, param] of [
        ['limit=abc', 'limit'],
        ['limit=101', 'limit'],
        ['limit=0', 'limit'],
        ['skip=-1', 'skip'],
        ['skip=1.5', 'skip'],
        ['sort_by=owner_id', 'sort_by'],
        ['sort_order=up', 'sort_order'],
        ['status=paused', 'status'],
        ['search=a&search=b', 'search'],
      ]) {
        const r = await tp.api('GET', `${V1}/workflows?${query}`, undefined, token);
        assert.equal(r.status, 400, query);
        assert.equal(r.body.error.code, 'BAD_REQUEST', query);
        assert.ok(r.body.error.details[param], `${query}: ${JSON.stringify(r.body.error.details)}`);
      }
    });
  });

  describe('versioning', () => {
    it('makes a new version only when the executable definition changes', async () => {
      const flow = await create(greeter('versioned'));
      const id = flow.id;
      assert.equal(flow.version, 1);

      // Renaming, re-describing, publishing: same version.
      let r = await tp.api(
        'PATCH',
        `${V1}/workflows/${id}`,
        { name: 'renamed', description: 'new words', status: 'published' },
        token,
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.version, 1);
      assert.equal(r.body.name, 'renamed');

      // Moving and relabelling nodes (and re-sending the same edges with ids): same version, but stored.
      const moved = greeter('renamed').nodes.map((n) => ({
        ...n,
        label: `${n.label}!`,
        position: { x: n.position.x + 5, y: 9 },
      }));
      r = await tp.api(
        'PATCH',
        `${V1}/workflows/${id}`,
        { nodes: moved, edges: greeter('x').edges.map((e, i) => ({ ...e, id: `e${i}` })) },
        token,
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.version, 1);
      assert.equal(r.body.nodes[1].label, 'Greet!');
      assert.deepEqual(r.body.nodes[1].position, { x: 205, y: 9 });
      assert.equal((await versionsOf(id)).length, 1);

      // Data change: version 2.
      r = await tp.api(
        'PUT',
        `${V1}/workflows/${id}`,
        { ...greeter('renamed', 'Hi'), comment: 'friendlier' },
        token,
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.version, 2);

      // PUT of the same definition: still 2.
      r = await tp.api('PUT', `${V1}/workflows/${id}`, greeter('again', 'Hi'), token);
      assert.equal(r.body.version, 2);

      // Retry policy: 3. Type: 4. Edges: 5.
      const retried = greeter('x', 'Hi').nodes.map((n) =>
        n.id === 'greet' ? { ...n, retry: { max_attempts: 2 } } : n,
      );
      r = await tp.api('PATCH', `${V1}/workflows/${id}`, { nodes: retried }, token);
      assert.equal(r.body.version, 3);
      const retyped = retried.map((n) =>
        n.id === 'greet' ? { ...n, type: 'transform', data: { expression: '"Hi, " & input.name' } } : n,
      );
      r = await tp.api('PATCH', `${V1}/workflows/${id}`, { nodes: retyped }, token);
      assert.equal(r.body.version, 4, JSON.stringify(r.body));
      r = await tp.api(
        'PATCH',
        `${V1}/workflows/${id}`,
        { edges: [...greeter('x').edges, { source: 'start', target: 'end' }] },
        token,
      );
      assert.equal(r.body.version, 5, JSON.stringify(r.body));

      const versions = await versionsOf(id);
      assert.deepEqual(
        versions.map((v) => v.version),
        [5, 4, 3, 2, 1],
      );
      assert.deepEqual(Object.keys(versions[0]).sort(), ['author_id', 'comment', 'created_at', 'version']);
      assert.equal(versions.find((v) => v.version === 2)?.comment, 'friendlier');
      assert.equal(versions[0].author_id, flow.owner_id);

      const v2 = await tp.api('GET', `${V1}/workflows/${id}/versions/2`, undefined, token);
      assert.equal(v2.status, 200);
      assert.equal(v2.body.version, 2);
      assert.equal(v2.body.nodes.find((n: any) => n.id === 'greet').data.value, 'Hi, {{ input.name }}');
      assert.equal(v2.body.edges.length, 2);
      assert.deepEqual(v2.body.trigger, { type: 'manual' });

      for (const v of ['99', '0', 'abc', '1.5']) {
        const missing = await tp.api('GET', `${V1}/workflows/${id}/versions/${v}`, undefined, token);
        assert.equal(missing.status, 404, v);
        assert.equal(missing.body.error.code, 'NOT_FOUND');
      }
      assert.equal((await tp.api('GET', `${V1}/workflows/${id}/versions`, undefined, other)).status, 404);
      assert.equal((await tp.api('GET', `${V1}/workflows/${id}/versions/1`, undefined, other)).status, 404);
    });

    it('runs a pinned version, and rollback makes a new head version equal to the old one', async () => {
      const flow = await create(greeter('pinned'));
      const id = flow.id;
      const r2 = await tp.api('PUT', `${V1}/workflows/${id}`, greeter('pinned', 'Goodbye'), token);
      assert.equal(r2.body.version, 2);

      const latest = await run(id);
      assert.deepEqual(latest.output_data, { greeting: 'Goodbye, Ada' });
      assert.equal(latest.workflow_version, 2);
      const first = await run(id, { version: 1 });
      assert.deepEqual(first.output_data, { greeting: 'Hello, Ada' });
      assert.equal(first.workflow_version, 1);
      const unknown = await tp.api('POST', `${V1}/workflows/${id}/execute`, { version: 7 }, token);
      assert.equal(unknown.status, 404);

      const rolled = await tp.api(
        'POST',
        `${V1}/workflows/${id}/versions/1/rollback`,
        { comment: 'goodbye was rude' },
        token,
      );
      assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
      assert.equal(rolled.body.version, 3);
      assert.equal(rolled.body.name, 'pinned');
      assert.equal(
        rolled.body.nodes.find((n: any) => n.id === 'greet').data.value,
        'Hello, {{ input.name }}',
      );
      const [head] = await versionsOf(id);
      assert.deepEqual([head.version, head.comment], [3, 'goodbye was rude']);
      const v3 = await tp.api('GET', `${V1}/workflows/${id}/versions/3`, undefined, token);
      const v1 = await tp.api('GET', `${V1}/workflows/${id}/versions/1`, undefined, token);
      assert.deepEqual([v3.body.nodes, v3.body.edges], [v1.body.nodes, v1.body.edges]);
      assert.deepEqual((await run(id)).output_data, { greeting: 'Hello, Ada' });

      const noComment = await tp.api('POST', `${V1}/workflows/${id}/versions/2/rollback`, undefined, token);
      assert.equal(noComment.status, 200);
      assert.equal(noComment.body.version, 4);
      assert.equal((await versionsOf(id))[0].comment, 'rollback to version 2');

      assert.equal(
        (await tp.api('POST', `${V1}/workflows/${id}/versions/42/rollback`, {}, token)).status,
        404,
      );
      assert.equal(
        (await tp.api('POST', `${V1}/workflows/${id}/versions/x/rollback`, {}, token)).status,
        404,
      );
      assert.equal(
        (await tp.api('POST', `${V1}/workflows/${id}/versions/1/rollback`, { comment: 5 }, token)).status,
        422,
      );
      assert.equal(
        (await tp.api('POST', `${V1}/workflows/${id}/versions/1/rollback`, {}, other)).status,
        404,
      );
      assert.equal((await versionsOf(id)).length, 4, 'failed rollbacks made no version');
    });
  });

  it('deleting a flow hides it but leaves its finished runs readable', async () => {
    const flow = await create(greeter('short-lived'));
    const finished = await run(flow.id);

    const del = await tp.api('DELETE', `${V1}/workflows/${flow.id}`, undefined, token);
    assert.equal(del.status, 204);
    assert.equal((await tp.api('GET', `${V1}/workflows/${flow.id}`, undefined, token)).status, 404);
    assert.equal((await tp.api('DELETE', `${V1}/workflows/${flow.id}`, undefined, token)).status, 404);
    assert.equal((await tp.api('POST', `${V1}/workflows/${flow.id}/execute`, {}, token)).status, 404);
    const listed = await tp.api('GET', `${V1}/workflows?search=short-lived`, undefined, token);
    assert.equal(listed.body.total, 0);

    const detail = await tp.api('GET', `${V1}/executions/${finished.id}`, undefined, token);
    assert.equal(detail.status, 200);
    assert.equal(detail.body.status, 'completed');
    assert.deepEqual(detail.body.output_data, { greeting: 'Hello, Ada' });
    const runs = await tp.api('GET', `${V1}/workflows/${flow.id}/executions`, undefined, token);
    assert.equal(runs.status, 200);
    assert.deepEqual(
      runs.body.items.map((e: any) => e.id),
      [finished.id],
    );
    assert.equal(
      (await tp.api('GET', `${V1}/workflows/${flow.id}/executions`, undefined, other)).status,
      404,
    );
  });

  describe('export and import', () => {
    it('exports a portable document that another user imports as a new flow of their own', async () => {
      const flow = await create({
        ...greeter('exported'),
        trigger: { type: 'event', event: 'user.created' },
        settings: { team: 'a' },
      });
      await tp.api('PUT', `${V1}/workflows/${flow.id}`, greeter('exported', 'Hey'), token);

      const exp = await tp.api('GET', `${V1}/workflows/${flow.id}/export`, undefined, token);
      assert.equal(exp.status, 200);
      assert.equal(exp.body.format_version, 1);
      assert.ok(!Number.isNaN(Date.parse(exp.body.exported_at)));
      assert.equal(exp.body.workflow.name, 'exported');
      assert.equal(exp.body.workflow.version, 2);
      assert.equal(exp.body.workflow.id, undefined);
      assert.equal(exp.body.workflow.owner_id, undefined);
      assert.equal(exp.body.workflow.nodes[1].data.value, 'Hey, {{ input.name }}');

      const old = await tp.api('GET', `${V1}/workflows/${flow.id}/export?version=1`, undefined, token);
      assert.equal(old.body.workflow.nodes[1].data.value, 'Hello, {{ input.name }}');
      assert.deepEqual(old.body.workflow.trigger, { type: 'event', event: 'user.created' });
      assert.deepEqual(old.body.workflow.settings, { team: 'a' });
      assert.equal(
        (await tp.api('GET', `${V1}/workflows/${flow.id}/export?version=9`, undefined, token)).status,
        404,
      );
      assert.equal(
        (await tp.api('GET', `${V1}/workflows/${flow.id}/export?version=abc`, undefined, token)).status,
        400,
      );
      assert.equal((await tp.api('GET', `${V1}/workflows/${flow.id}/export`, undefined, other)).status, 404);

      const imported = await tp.api('POST', `${V1}/workflows/import`, exp.body, other);
      assert.equal(imported.status, 201, JSON.stringify(imported.body));
      assert.notEqual(imported.body.id, flow.id);
      assert.notEqual(imported.body.owner_id, flow.owner_id);
      assert.equal(imported.body.version, 1);
      assert.equal(imported.body.name, 'exported');
      assert.deepEqual(imported.body.nodes, exp.body.workflow.nodes);
      assert.deepEqual(imported.body.trigger, exp.body.workflow.trigger);
      const runOfCopy = await tp.api(
        'POST',
        `${V1}/workflows/${imported.body.id}/execute`,
        { input_data: { name: 'Bo' }, wait: true },
        other,
      );
      assert.deepEqual(runOfCopy.body.output_data, { greeting: 'Hey, Bo' });
      assert.equal(
        (await tp.api('GET', `${V1}/workflows/${imported.body.id}`, undefined, token)).status,
        404,
      );
    });

    it('accepts the seeds\u2019 spellings and rejects invalid flows with 422 and paths', async () => {
      const seedStyle = {
        workflow: {
          name: 'seed spelled',
          nodes: [
            { id: 'start-1', type: 'start', data: { label: '开始' } },
            { id: 'check', type: 'if', config: { expression: 'input.n > 1' } },
            { id: 'big', type: 'noop', config: { value: 'big' }, continueOnFail: true },
          ],
          edges: [
            { from: 'start-1', to: 'check' },
            { from: 'check', to: 'big', condition: true },
          ],
          id: 'ignored',
          owner_id: 'ignored',
        },
      };
      const r = await tp.api('POST', `${V1}/workflows/import`, seedStyle, token);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(r.body.nodes[0], { id: 'start-1', type: 'start', label: '开始', data: {} });
      assert.deepEqual(r.body.nodes[1].type, 'condition');
      assert.equal(r.body.nodes[2].on_error, 'continue');
      assert.deepEqual(r.body.edges[1], { source: 'check', target: 'big', source_handle: 'true' });

      const bare = await tp.api('POST', `${V1}/workflows/import`, greeter('bare'), token);
      assert.equal(bare.status, 201, 'a bare flow is accepted too');

      const bad = await tp.api(
        'POST',
        `${V1}/workflows/import`,
        {
          workflow: {
            name: 'bad',
            nodes: [
              { id: 'a', type: 'http-request', config: { url: 42 } },
              { id: 'b', type: 'no-such-type' },
            ],
            edges: [{ from: 'a', to: 'ghost' }],
          },
        },
        token,
      );
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error.code, 'VALIDATION_ERROR');
      const paths = Object.keys(bad.body.error.details);
      assert.ok(paths.includes('workflow.nodes[0].data.url'), paths.join());
      assert.ok(paths.includes('workflow.nodes[1].type'), paths.join());
      assert.ok(paths.includes('workflow.edges[0].target'), paths.join());

      const noName = await tp.api('POST', `${V1}/workflows/import`, { workflow: { nodes: [] } }, token);
      assert.equal(noName.status, 422);
      assert.ok(noName.body.error.details['workflow.name']);
      const notAFlow = await tp.api('POST', `${V1}/workflows/import`, { workflow: 'yes' }, token);
      assert.equal(notAFlow.status, 422);
      assert.ok(notAFlow.body.error.details.workflow);
      const future = await tp.api(
        'POST',
        `${V1}/workflows/import`,
        { workflow: greeter('f'), format_version: 2 },
        token,
      );
      assert.equal(future.status, 422);
      assert.ok(future.body.error.details.format_version);
      const malformed = await fetch(`${tp.url}${V1}/workflows/import`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: '{"workflow": ',
      });
      assert.equal(malformed.status, 400);
    });
  });

  describe('reserved node ids', () => {
    it('refuses __proto__, constructor and prototype as node ids with 422 naming the path', async () => {
      for (const id of ['__proto__', 'constructor', 'prototype']) {
        const flow = {
          name: `reserved ${id}`,
          nodes: [
            { id: 'start', type: 'start' },
            { id, type: 'noop', data: { value: 1 } },
            { id: 'end', type: 'end', data: { output: { got: `{{ ${id}.result }}` } } },
          ],
          edges: [
            { source: 'start', target: id },
            { source: id, target: 'end' },
          ],
        };
        const r = await tp.api('POST', `${V1}/workflows`, flow, token);
        assert.equal(r.status, 422, `${id}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'VALIDATION_ERROR');
        assert.match(r.body.error.details['nodes[1].id'] ?? '', /reserved/, JSON.stringify(r.body));
      }
    });

    it('refuses them inside loop bodies, through node edits and as variable names too', async () => {
      const inLoop = await tp.api(
        'POST',
        `${V1}/workflows`,
        {
          name: 'reserved in a loop',
          nodes: [
            { id: 'start', type: 'start' },
            {
              id: 'each',
              type: 'loop',
              data: { items: '{{ input.list }}', body: { nodes: [{ id: 'constructor', type: 'noop' }], edges: [] } },
            },
          ],
          edges: [{ source: 'start', target: 'each' }],
        },
        token,
      );
      assert.equal(inLoop.status, 422, JSON.stringify(inLoop.body));
      assert.ok(inLoop.body.error.details['nodes[1].data.body.nodes[0].id'], JSON.stringify(inLoop.body));

      const flow = await create(greeter('reserved edits'));
      const added = await tp.api('POST', `${V1}/workflows/${flow.id}/nodes`, { id: '__proto__', type: 'noop', data: {} }, token);
      assert.equal(added.status, 422, JSON.stringify(added.body));
      assert.ok(
        Object.entries(added.body.error.details).some(([path, message]) => path.endsWith('id') && /reserved/.test(String(message))),
        JSON.stringify(added.body),
      );

      const setVar = await tp.api(
        'POST',
        `${V1}/workflows`,
        {
          name: 'reserved variable',
          nodes: [
            { id: 'start', type: 'start' },
            { id: 'vars', type: 'set', data: { values: JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') } },
          ],
          edges: [{ source: 'start', target: 'vars' }],
        },
        token,
      );
      assert.equal(setVar.status, 422, JSON.stringify(setVar.body));
      assert.match(JSON.stringify(setVar.body.error.details), /reserved/);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  });

  describe('node edits', () => {
    it('adds, moves, changes and removes nodes; only executable changes make versions', async () => {
      const flow = await create(greeter('edited'));
      const id = flow.id;

      // Insert a node between greet and end: new node + its edges, then drop the old edge by PUT-free means.
      let r = await tp.api(
        'POST',
        `${V1}/workflows/${id}/nodes`,
        {
          id: 'shout',
          type: 'transform',
          label: 'Shout',
          position: { x: 300, y: 100 },
          data: { expression: '$uppercase(greet.result)' },
          edges: [{ source: 'greet' }],
          comment: 'louder',
        },
        token,
      );
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.version, 2);
      assert.deepEqual(r.body.nodes[3], {
        id: 'shout',
        type: 'transform',
        label: 'Shout',
        data: { expression: '$uppercase(greet.result)' },
        position: { x: 300, y: 100 },
      });
      assert.deepEqual(r.body.edges[2], { source: 'greet', target: 'shout' });
      assert.equal((await versionsOf(id))[0].comment, 'louder');

      // Without an id, one is generated from the type; seed spellings work here too.
      r = await tp.api(
        'POST',
        `${V1}/workflows/${id}/nodes`,
        { type: 'http_request', config: { url: 'https://example.test/x' } },
        token,
      );
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(r.body.nodes[4], {
        id: 'http-request-1',
        type: 'http-request',
        data: { url: 'https://example.test/x' },
      });
      assert.equal(r.body.version, 3);

      // Failures: duplicate id, invalid data (paths relative to the body), bad edges, other user, unknown flow.
      r = await tp.api('POST', `${V1}/workflows/${id}/nodes`, { id: 'greet', type: 'noop' }, token);
      assert.equal(r.status, 409);
      r = await tp.api(
        'POST',
        `${V1}/workflows/${id}/nodes`,
        { id: 'bad', type: 'http-request', data: { url: 7 }, edges: [{ source: 'ghost' }] },
        token,
      );
      assert.equal(r.status, 422);
      assert.ok(r.body.error.details['data.url'], JSON.stringify(r.body.error.details));
      assert.ok(r.body.error.details['edges[0].source'], JSON.stringify(r.body.error.details));
      r = await tp.api('POST', `${V1}/workflows/${id}/nodes`, { id: 'x y', type: 'noop' }, token);
      assert.equal(r.status, 422);
      assert.ok(r.body.error.details.id);
      r = await tp.api('POST', `${V1}/workflows/${id}/nodes`, { data: {} }, token);
      assert.equal(r.status, 422);
      assert.ok(r.body.error.details.type);
      assert.equal(
        (await tp.api('POST', `${V1}/workflows/${id}/nodes`, { type: 'noop' }, other)).status,
        404,
      );
      assert.equal(
        (await tp.api('POST', `${V1}/workflows/${randomUUID()}/nodes`, { type: 'noop' }, token)).status,
        404,
      );

      // Moving and relabelling: same version.
      r = await tp.api(
        'PATCH',
        `${V1}/workflows/${id}/nodes/shout`,
        { position: { x: 1, y: 2 }, label: 'SHOUT' },
        token,
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.version, 3);
      assert.deepEqual(r.body.nodes[3].position, { x: 1, y: 2 });
      assert.equal(r.body.nodes[3].label, 'SHOUT');
      r = await tp.api('PATCH', `${V1}/workflows/${id}/nodes/shout`, { label: null }, token);
      assert.equal(r.body.nodes[3].label, undefined);
      assert.equal(r.body.version, 3);

      // Data (merged), settings: new versions.
      r = await tp.api(
        'PATCH',
        `${V1}/workflows/${id}/nodes/http-request-1`,
        { data: { method: 'POST', body: { a: 1 } } },
        token,
      );
      assert.equal(r.body.version, 4);
      assert.deepEqual(r.body.nodes[4].data, {
        url: 'https://example.test/x',
        method: 'POST',
        body: { a: 1 },
      });
      r = await tp.api(
        'PATCH',
        `${V1}/workflows/${id}/nodes/http-request-1`,
        { data: { body: null }, timeout_ms: 5000 },
        token,
      );
      assert.equal(r.body.version, 5);
      assert.deepEqual(r.body.nodes[4].data, { url: 'https://example.test/x', method: 'POST' });
      assert.equal(r.body.nodes[4].timeout_ms, 5000);

      r = await tp.api('PATCH', `${V1}/workflows/${id}/nodes/shout`, { on_error: 'explode' }, token);
      assert.equal(r.status, 422);
      assert.ok(r.body.error.details.on_error, JSON.stringify(r.body.error.details));
      r = await tp.api(
        'PATCH',
        `${V1}/workflows/${id}/nodes/shout`,
        { type: 'condition', data: { expression: 'true' } },
        token,
      );
      assert.equal(r.status, 200, 'a condition whose outputs have no ports yet is fine');
      r = await tp.api(
        'PATCH',
        `${V1}/workflows/${id}/nodes/greet`,
        { type: 'condition', data: { value: null, expression: 'true' } },
        token,
      );
      assert.equal(r.status, 422, 'greet → end needs a port once greet is a condition');
      assert.ok(
        Object.keys(r.body.error.details).some((p) => p.startsWith('workflow.edges[')),
        JSON.stringify(r.body.error.details),
      );
      r = await tp.api('PATCH', `${V1}/workflows/${id}/nodes/shout`, { colour: 'red' }, token);
      assert.equal(r.status, 422);
      assert.equal(
        (await tp.api('PATCH', `${V1}/workflows/${id}/nodes/nope`, { label: 'x' }, token)).status,
        404,
      );
      assert.equal(
        (await tp.api('PATCH', `${V1}/workflows/${id}/nodes/shout`, { label: 'x' }, other)).status,
        404,
      );

      // Removing a node removes its edges.
      const before = (await versionsOf(id))[0].version;
      r = await tp.api('DELETE', `${V1}/workflows/${id}/nodes/greet`, undefined, token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(!r.body.nodes.some((n: any) => n.id === 'greet'));
      assert.ok(!r.body.edges.some((e: any) => e.source === 'greet' || e.target === 'greet'));
      assert.equal(r.body.version, before + 1);
      assert.equal(
        (await tp.api('DELETE', `${V1}/workflows/${id}/nodes/greet`, undefined, token)).status,
        404,
      );
      assert.equal(
        (await tp.api('DELETE', `${V1}/workflows/${id}/nodes/shout`, undefined, other)).status,
        404,
      );
    });

    it('runs the edited flow', async () => {
      const flow = await create(greeter('grows'));
      await tp.api(
        'POST',
        `${V1}/workflows/${flow.id}/nodes`,
        {
          id: 'shout',
          type: 'transform',
          data: { expression: '$uppercase(greet.result)' },
          edges: [{ source: 'greet' }],
        },
        token,
      );
      await tp.api(
        'PATCH',
        `${V1}/workflows/${flow.id}/nodes/end`,
        { data: { output: { greeting: '{{ shout.result }}' } } },
        token,
      );
      const r = await tp.api('DELETE', `${V1}/workflows/${flow.id}/nodes/end`, undefined, token);
      assert.equal(r.body.version, 4);
      await tp.api(
        'POST',
        `${V1}/workflows/${flow.id}/nodes`,
        {
          id: 'end',
          type: 'end',
          data: { output: { greeting: '{{ shout.result }}' } },
          edges: [{ source: 'shout' }],
        },
        token,
      );
      assert.deepEqual((await run(flow.id)).output_data, { greeting: 'HELLO, ADA' });
    });
  });

  it('needs the write scope to change flows and read to see them', async () => {
    const flow = await create(greeter('scoped'));
    const key = await tp.api('POST', `${V1}/auth/api-keys`, { name: 'reader', scopes: ['read'] }, token);
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const reader = { apiKey: key.body.key as string };
    const id = flow.id;
    assert.equal((await tp.api('GET', `${V1}/workflows/${id}/versions`, undefined, reader)).status, 200);
    assert.equal((await tp.api('GET', `${V1}/workflows/${id}/export`, undefined, reader)).status, 200);
    assert.equal((await tp.api('GET', `${V1}/workflows/templates`, undefined, reader)).status, 200);
    for (const [method, path, body] of [
      ['POST', `/workflows/${id}/versions/1/rollback`, {}],
      ['POST', '/workflows/import', { workflow: greeter('x') }],
      ['POST', `/workflows/${id}/nodes`, { type: 'noop' }],
      ['PATCH', `/workflows/${id}/nodes/greet`, { label: 'x' }],
      ['DELETE', `/workflows/${id}/nodes/greet`, undefined],
      ['POST', '/workflows/templates/http-fan-out/create', undefined],
    ] as const) {
      const r = await tp.api(method, V1 + path, body, reader);
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.body.error.code, 'FORBIDDEN');
    }
    assert.equal((await tp.api('GET', `${V1}/workflows/${id}/export`)).status, 401);
  });
});
