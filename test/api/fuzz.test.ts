/**
 * Hostile bodies against the write routes, generated deterministically (seeded PRNG): every answer
 * must be a 4xx (never a 5xx, never an accepted write), the database must be unchanged and no
 * prototype polluted. Each body carries a hostile payload somewhere plus "breakers" that make it
 * invalid for its route for certain, so an accepted request is always a finding.
 */
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

const SEED = 0x5eed_f022;
const CASES = 1100;
const TABLES = ['users', 'api_keys', 'flows', 'flow_versions', 'executions', 'execution_logs'];

/** mulberry32: small, fast, good enough for test data. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)],
  };
}
type Rng = ReturnType<typeof prng>;

// Raw JSON fragments that JSON.stringify cannot produce; spliced in where a value is a RAW marker.
const deep = (n: number, open: string, close: string, leaf: string) => open.repeat(n) + leaf + close.repeat(n);
const RAW_FRAGMENTS = [
  deep(10_000, '[', ']', '1'),
  deep(10_000, '{"a":', '}', '1'),
  deep(3_000, '{"__proto__":', '}', '{"polluted":"deep"}'),
  deep(5_000, '[{"x":', '}]', 'null'),
  '{"__proto__":{"polluted":"yes","isAdmin":true}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"prototype":{"polluted":"yes"}}',
  '{"__proto__":[]}',
  '{"__proto__":null,"toString":1,"valueOf":"x","hasOwnProperty":false}',
  '[{"__proto__":{"polluted":"yes"}},{"constructor":{"prototype":{"polluted":"yes"}}}]',
  '1e999',
  '-1e999',
  '123456789012345678901234567890',
  '-0',
  '0.1e-400',
  '{"name":"a","name":5,"name":{"__proto__":{"polluted":"dup"}}}',
  '"\\ud800\\udc00\\ud800"',
  '"\\u0000\\u0001\\u001f"',
];
const RAW = (i: number) => `\u0000RAW${i}\u0000`;

function hostileValue(rng: Rng): unknown {
  switch (rng.int(16)) {
    case 0:
      return rng.pick([0, -1, 1.5, -2147483649, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e-308]);
    case 1:
      return rng.pick([true, false, null]);
    case 2:
      return rng.pick([[], {}, '', ' ', [[]], [{}], [null]]);
    case 3:
      return 'x'.repeat(rng.pick([201, 1025, 5001, 70_000, 300_000]));
    case 4:
      return RAW(rng.int(RAW_FRAGMENTS.length));
    case 5:
      return { $ref: rng.pick(['#', '#/nodes/0', '#/edges', '../../etc/passwd']) };
    case 6:
      return rng.pick(['{{ constructor.constructor("return process")().exit() }}', '{{ $eval("1") }}', '{{', '}}{{', '{{ __proto__.polluted := 1 }}']);
    case 7:
      return rng.pick(['\u202e\u0000evil', '💥'.repeat(1000), '\ud800', 'a\r\nb: c', "'; DROP TABLE flows; --", '<script>alert(1)</script>']);
    case 8:
      return Array.from({ length: rng.pick([1, 10, 5001]) }, (_, i) => ({ id: i, type: rng.pick(['noop', 'no-such-type', 42, null]) }));
    case 9:
      return Array.from({ length: rng.pick([2, 20]) }, (_, i) => ({ source: `n${i}`, target: `n${(i + 1) % 2}` }));
    case 10:
      return rng.pick([42, 1.5, -7, 0]);
    case 11:
      return [rng.pick(['a', 1, null]), { nested: [1, 2, { deeper: 'x' }] }];
    case 12:
      return { type: rng.pick(['cron', 'webhook', 'event', 'nope']), schedule: rng.pick(['* * * * * * *', '', 'every day']), auth: 5 };
    case 13:
      return rng.pick(['00000000-0000-0000-0000-000000000000', 'not-a-uuid', '../../', '%00', '\\x00']);
    case 14:
      return Object.fromEntries(Array.from({ length: rng.pick([5, 500]) }, (_, i) => [`k${i}`, i]));
    default:
      return rng.pick(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']);
  }
}

/** Sets `value` at `path` inside `obj` (creating objects on the way); `[]` replaces the whole body. */
function setAt(obj: any, path: (string | number)[], value: unknown): any {
  if (path.length === 0) return value;
  if (obj === null || typeof obj !== 'object') obj = {};
  let o = obj;
  for (const k of path.slice(0, -1)) {
    if (o[k] === null || typeof o[k] !== 'object') o[k] = {};
    o = o[k];
  }
  o[path[path.length - 1]] = value;
  return obj;
}

function serialize(body: unknown): string {
  return JSON.stringify(body).replace(/"\\u0000RAW(\d+)\\u0000"/g, (_m, i: string) => RAW_FRAGMENTS[Number(i)]);
}

interface Fixture {
  flowId: string;
  /** A flow whose start node's input_schema rejects every input. */
  rejectingFlowId: string;
}

interface Target {
  method: string;
  path: (f: Fixture) => string;
  base: () => any;
  /** Places where the payload may go. */
  slots: (string | number)[][];
  /** Makes the body certainly invalid for the route (after the payload went in). */
  breakers: ((b: any) => void)[];
  /** A 200 that still rejects (validate answers 200 `{valid: false}`). */
  acceptsRejection?: (status: number, body: any) => boolean;
}

const flowBody = () => ({
  name: 'fuzz',
  description: 'd',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'a', type: 'noop', data: { value: '{{ input }}' } },
    { id: 'end', type: 'end' },
  ],
  edges: [
    { source: 'start', target: 'a' },
    { source: 'a', target: 'end' },
  ],
});
const FLOW_SLOTS = [
  [],
  ['name'],
  ['description'],
  ['status'],
  ['enabled'],
  ['trigger'],
  ['settings'],
  ['settings', 'x'],
  ['nodes'],
  ['nodes', 0],
  ['nodes', 1, 'id'],
  ['nodes', 1, 'type'],
  ['nodes', 1, 'data'],
  ['nodes', 1, 'data', 'value'],
  ['nodes', 1, 'retry'],
  ['nodes', 1, 'timeout_ms'],
  ['nodes', 1, 'on_error'],
  ['nodes', 1, 'position'],
  ['nodes', 1, 'label'],
  ['edges', 0],
  ['edges', 1, 'source'],
  ['edges', 1, 'source_handle'],
  ['comment'],
  ['__proto__'],
  ['constructor'],
];
/** An edge to a node that does not exist: the graph is invalid whatever else the body holds. */
const ghostEdge = (b: any) => {
  if (b && typeof b === 'object' && !Array.isArray(b)) {
    if (b.edges === undefined) b.edges = [];
    if (Array.isArray(b.edges)) b.edges.push({ source: 'start', target: 'ghost-node' });
  }
};
const field = (name: string, value: unknown) => (b: any) => {
  if (b && typeof b === 'object' && !Array.isArray(b)) b[name] = value;
};

const TARGETS: Target[] = [
  { method: 'POST', path: () => '/api/v1/workflows', base: flowBody, slots: FLOW_SLOTS, breakers: [ghostEdge] },
  { method: 'PUT', path: (f) => `/api/v1/workflows/${f.flowId}`, base: flowBody, slots: FLOW_SLOTS, breakers: [ghostEdge] },
  { method: 'PATCH', path: (f) => `/api/v1/workflows/${f.flowId}`, base: flowBody, slots: FLOW_SLOTS, breakers: [ghostEdge] },
  {
    method: 'POST',
    path: () => '/api/v1/workflows/validate',
    base: flowBody,
    slots: FLOW_SLOTS,
    breakers: [ghostEdge],
    acceptsRejection: (status, body) => status === 200 && body?.valid === false,
  },
  {
    method: 'POST',
    path: () => '/api/v1/workflows/import',
    base: () => ({ workflow: flowBody(), format_version: 1 }),
    slots: [[], ['workflow'], ['format_version'], ['exported_at'], ...FLOW_SLOTS.map((s) => ['workflow', ...s])],
    breakers: [(b) => ghostEdge(b?.workflow)],
  },
  {
    method: 'POST',
    path: (f) => `/api/v1/workflows/${f.rejectingFlowId}/execute`,
    base: () => ({ input_data: { name: 'x' } }),
    slots: [[], ['input_data'], ['input_data', 'name'], ['version'], ['wait'], ['timeout_ms'], ['__proto__']],
    breakers: [],
  },
  {
    method: 'POST',
    path: () => '/api/v1/executions',
    base: () => ({ workflow_id: 'REJECTING', input_data: {} }),
    slots: [[], ['workflow_id'], ['input_data'], ['version'], ['wait'], ['constructor']],
    breakers: [],
  },
  {
    method: 'POST',
    path: () => '/api/v1/auth/register',
    base: () => ({ username: 'fuzzer', email: 'fuzzer@example.test', password: 'long enough password' }),
    slots: [[], ['username'], ['email'], ['password'], ['__proto__'], ['role']],
    breakers: [field('password', 'short'), field('email', 'not-an-email')],
  },
  {
    method: 'POST',
    path: () => '/api/v1/auth/api-keys',
    base: () => ({ name: 'k', scopes: ['read'] }),
    slots: [[], ['name'], ['scopes'], ['scopes', 0], ['expires_in_days']],
    breakers: [field('scopes', ['root']), field('expires_in_days', 0)],
  },
  {
    method: 'POST',
    path: (f) => `/api/v1/workflows/${f.flowId}/nodes`,
    base: () => ({ id: 'n1', type: 'noop', data: {}, edges: [] }),
    slots: [[], ['id'], ['type'], ['data'], ['edges'], ['position'], ['retry']],
    breakers: [field('type', 'no-such-type-xyz'), (b) => Array.isArray(b?.edges) && b.edges.push({ source: 'ghost', target: 'n1' })],
  },
  {
    method: 'PATCH',
    path: (f) => `/api/v1/workflows/${f.flowId}/nodes/a`,
    base: () => ({ data: { value: 1 } }),
    slots: [[], ['data'], ['data', 'value'], ['label'], ['position'], ['retry'], ['timeout_ms'], ['on_error']],
    breakers: [field('type', 'no-such-type-xyz')],
  },
  {
    method: 'POST',
    path: () => '/api/v1/nodes/test',
    base: () => ({ type: 'noop', data: {}, input: {} }),
    slots: [[], ['data'], ['input'], ['timeout_ms'], ['data', 'value']],
    breakers: [field('type', 'no-such-type-xyz')],
  },
  {
    method: 'POST',
    path: (f) => `/api/v1/workflows/${f.flowId}/versions/999/rollback`,
    base: () => ({ comment: 'c' }),
    slots: [[], ['comment']],
    breakers: [],
  },
];

/** Anonymous routes take no token; the login route must refuse whatever it gets. */
const LOGIN: Target = {
  method: 'POST',
  path: () => '/api/v1/auth/login',
  base: () => ({ username: 'nobody-here', password: 'wrong password' }),
  slots: [[], ['username'], ['password'], ['email'], ['__proto__']],
  breakers: [],
};

interface Case {
  target: Target;
  body: Buffer | string;
  contentType: string;
}

function generate(rng: Rng, fixture: Fixture): Case[] {
  const targets = [...TARGETS, LOGIN];
  const cases: Case[] = [];
  for (let i = 0; i < CASES; i++) {
    const target = targets[i % targets.length];
    let body = target.base();
    if (body.workflow_id === 'REJECTING') body.workflow_id = fixture.rejectingFlowId;
    const payloads = 1 + rng.int(2);
    for (let p = 0; p < payloads; p++) body = setAt(body, rng.pick(target.slots), hostileValue(rng));
    for (const brk of target.breakers) brk(body);
    let text = serialize(body);
    let contentType = 'application/json';
    let bytes: Buffer | string = text;
    switch (rng.int(12)) {
      case 0: // truncated
        bytes = text.slice(0, Math.max(1, rng.int(text.length)));
        break;
      case 1: {
        // invalid UTF-8 inside a string
        const at = text.indexOf('"', 1) + 1 || 1;
        bytes = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from(text.slice(at))]);
        break;
      }
      case 2:
        bytes = `\ufeff${text}`;
        break;
      case 3:
        contentType = rng.pick(['application/json; charset=utf-16', 'application/json; charset=latin1', 'application/vnd.api+json']);
        break;
      case 4:
        if (text.length < 200_000) {
          text = text.replace(/"([a-z_]+)":/, '"$1":1,"$1":');
          bytes = text;
        }
        break;
      default:
        break;
    }
    cases.push({ target, body: bytes, contentType });
  }
  return cases;
}

async function counts(tp: TestPlatform): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const [row] = await tp.platform.db(t).count({ n: '*' });
    out[t] = Number(row.n);
  }
  return out;
}

describe('fuzz: hostile bodies against the write routes', function () {
  this.timeout(120_000);
  let tp: TestPlatform;
  let token: string;
  let fixture: Fixture;

  before(async () => {
    tp = await startTestPlatform({ RUN_WORKER: 'false' });
    token = (await tp.login()).token;
    const flow = await tp.api('POST', '/api/v1/workflows', flowBody(), token);
    assert.equal(flow.status, 201, JSON.stringify(flow.body));
    const rejecting = await tp.api(
      'POST',
      '/api/v1/workflows',
      { ...flowBody(), name: 'rejects all input', nodes: [{ id: 'start', type: 'start', data: { input_schema: { not: {} } } }, ...flowBody().nodes.slice(1)] },
      token,
    );
    assert.equal(rejecting.status, 201, JSON.stringify(rejecting.body));
    fixture = { flowId: flow.body.id, rejectingFlowId: rejecting.body.id };
  });
  after(async () => tp?.stop());

  it(`answers ${CASES} hostile bodies with 4xx, changes nothing and pollutes no prototype`, async () => {
    const protoKeys = (o: object) => Object.getOwnPropertyNames(o).sort().join(',');
    const before = { object: protoKeys(Object.prototype), array: protoKeys(Array.prototype), fn: protoKeys(Function.prototype) };
    const rowsBefore = await counts(tp);
    const flowBefore = await tp.platform.db('flows').where({ id: fixture.flowId }).first();

    const cases = generate(prng(SEED), fixture);
    const failures: string[] = [];
    const statuses: Record<number, number> = {};
    const started = Date.now();
    for (const [i, c] of cases.entries()) {
      const headers: Record<string, string> = { 'content-type': c.contentType };
      if (c.target !== LOGIN && !c.target.path(fixture).includes('/auth/register')) headers.authorization = `Bearer ${token}`;
      const res = await fetch(tp.url + c.target.path(fixture), { method: c.target.method, headers, body: c.body });
      const text = await res.text();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const rejected = (res.status >= 400 && res.status < 500) || Boolean(c.target.acceptsRejection?.(res.status, json));
      const wellFormed = res.status < 400 || typeof json?.error?.code === 'string';
      if (!rejected || !wellFormed) {
        const sample = typeof c.body === 'string' ? c.body.slice(0, 160) : c.body.subarray(0, 160).toString('latin1');
        failures.push(`#${i} ${c.target.method} ${c.target.path(fixture)} → ${res.status} ${text.slice(0, 160)} | body: ${sample}`);
      }
    }
    const elapsed = Date.now() - started;

    assert.deepEqual(failures.slice(0, 15), [], `${failures.length} failures; statuses ${JSON.stringify(statuses)}`);
    assert.deepEqual(await counts(tp), rowsBefore, 'rejected requests changed the database');
    assert.deepEqual(await tp.platform.db('flows').where({ id: fixture.flowId }).first(), flowBefore, 'the fixture flow changed');
    assert.deepEqual(
      { object: protoKeys(Object.prototype), array: protoKeys(Array.prototype), fn: protoKeys(Function.prototype) },
      before,
      'a prototype gained properties',
    );
    assert.equal(({} as any).polluted, undefined);
    assert.equal(({} as any).isAdmin, undefined);
    assert.equal((await tp.api('GET', '/health')).status, 200);
    assert.ok(elapsed < 60_000, `took ${elapsed} ms`);
  });
});
