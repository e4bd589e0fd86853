import assert from 'node:assert/strict';
import {
  ExpressionError,
  checkExpression,
  checkTemplates,
  evaluateExpression,
  referencedRoots,
  renderTemplates,
} from '../../src/shared/expressions';
import { EXPRESSION_CACHE_CAPACITY, clearExpressionCache, expressionCacheStats } from '../../src/shared/expression-compiler';

/** A run context as the interpreter builds it. */
function makeContext(): Record<string, unknown> {
  return {
    trigger: { type: 'manual', user: { name: 'Ada', roles: ['admin', 'ops'] } },
    input: { id: 7, price: 12.5, tags: ['a', 'b'] },
    execution: { id: 'exec-1' },
    vars: { greeting: 'Hello' },
    fetch: { result: { items: [{ id: 1, name: 'one' }, { id: 7, name: 'seven' }] }, status: 200, headers: { 'content-type': 'application/json' } },
    'my-node': { result: { count: 3 } },
    my: { result: 10 },
    node: { result: 4 },
    item: { sku: 'X-1' },
    index: 2,
  };
}

async function expectExpressionError(run: () => Promise<unknown>, check?: (error: ExpressionError) => void): Promise<void> {
  await assert.rejects(run, (error: unknown) => {
    assert.ok(error instanceof ExpressionError, `expected an ExpressionError, got ${String(error)}`);
    check?.(error);
    return true;
  });
}

/** Fails when `value` holds a function or any object that is not a plain JSON object/array. */
function assertPlainJson(value: unknown, where = 'result'): void {
  if (value === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof value)) return;
  assert.equal(typeof value, 'object', `${where} is a ${typeof value}`);
  if (Array.isArray(value)) {
    assert.equal(Object.getPrototypeOf(value), Array.prototype, `${where} is an exotic array`);
    value.forEach((item, i) => assertPlainJson(item, `${where}[${i}]`));
    return;
  }
  assert.equal(Object.getPrototypeOf(value), Object.prototype, `${where} is not a plain object`);
  for (const [key, item] of Object.entries(value as object)) assertPlainJson(item, `${where}.${key}`);
}

describe('expressions', () => {
  describe('evaluateExpression', () => {
    it('evaluates JSONata over the run context', async () => {
      const ctx = makeContext();
      assert.equal(await evaluateExpression('fetch.status = 200', ctx), true);
      assert.equal(await evaluateExpression('fetch.result.items[id = $$.input.id].name', ctx), 'seven');
      assert.equal(await evaluateExpression('$uppercase(trigger.user.name) & "!"', ctx), 'ADA!');
      assert.deepEqual(await evaluateExpression('trigger.user.roles', ctx), ['admin', 'ops']);
      assert.equal(await evaluateExpression('index + 1', ctx), 3);
      assert.equal(await evaluateExpression('vars.greeting', ctx), 'Hello');
    });

    it('gives undefined for missing values', async () => {
      assert.equal(await evaluateExpression('missing.x', makeContext()), undefined);
      assert.equal(await evaluateExpression('fetch.result.nothing', makeContext()), undefined);
    });

    it('returns plain JSON: sequences become arrays, functions disappear', async () => {
      const ctx = makeContext();
      const items = await evaluateExpression('fetch.result.items.name', ctx);
      assert.deepEqual(items, ['one', 'seven']);
      assertPlainJson(items);
      const built = await evaluateExpression('{"a": [1, 2], "f": $string, "g": function($x){$x}, "n": {"m": true}}', ctx);
      assert.deepEqual(built, { a: [1, 2], n: { m: true } });
      assertPlainJson(built);
      assert.equal(await evaluateExpression('$string', ctx), undefined);
      assert.equal(await evaluateExpression('function($x){ $x }', ctx), undefined);
    });

    it('reads the context as JSON data (Dates as ISO strings, functions gone)', async () => {
      const ctx = { trigger: { at: new Date(0), fn: () => 'host', nested: { big: BigInt(5) } } };
      assert.deepEqual(await evaluateExpression('trigger', ctx), { at: '1970-01-01T00:00:00.000Z', nested: { big: '5' } });
      assert.equal(await evaluateExpression('$type(trigger.fn)', ctx), undefined);
    });

    it('copies only the context keys an expression reads, and reports unusable ones', async () => {
      const loop: Record<string, unknown> = { name: 'loop' };
      loop.self = loop;
      const ctx = { ...makeContext(), cyclic: loop };
      assert.equal(await evaluateExpression('trigger.user.name', ctx), 'Ada');
      assert.deepEqual(await evaluateExpression('$keys($$)', { a: 1, 'b-c': 2 }), ['a', 'b-c']);
      await expectExpressionError(() => evaluateExpression('cyclic.name', ctx), (error) => assert.match(error.message, /nested deeper than/));
    });

    it('keeps $base64encode/$base64decode working without Buffer (as in the workflow sandbox)', async () => {
      const saved = globalThis.Buffer;
      try {
        (globalThis as { Buffer?: unknown }).Buffer = undefined;
        assert.equal(await evaluateExpression('$base64encode("user:pass")', {}), 'dXNlcjpwYXNz');
        assert.equal(await evaluateExpression('$base64decode("dXNlcjpwYXNz")', {}), 'user:pass');
        assert.equal(await evaluateExpression('$base64decode($base64encode("héllo ✓"))', {}), 'héllo ✓');
      } finally {
        globalThis.Buffer = saved;
      }
    });
  });

  describe('renderTemplates', () => {
    it('keeps the type of a string that is exactly one {{ }}', async () => {
      const ctx = makeContext();
      const out = await renderTemplates(
        {
          n: '{{ input.price }}',
          b: '{{ fetch.status = 200 }}',
          o: '{{ trigger.user }}',
          a: '{{ input.tags }}',
          z: '{{ null }}',
          m: '{{ missing.x }}',
        },
        ctx,
      );
      assert.deepEqual(out, {
        n: 12.5,
        b: true,
        o: { name: 'Ada', roles: ['admin', 'ops'] },
        a: ['a', 'b'],
        z: null,
        m: undefined,
      });
      assert.ok('m' in out);
    });

    it('interpolates values into text', async () => {
      const ctx = makeContext();
      assert.equal(await renderTemplates('{{ vars.greeting }}, {{ trigger.user.name }}!', ctx), 'Hello, Ada!');
      assert.equal(await renderTemplates('id={{ input.id }} ok={{ fetch.status = 200 }}', ctx), 'id=7 ok=true');
      assert.equal(await renderTemplates('user: {{ trigger.user }}', ctx), 'user: {"name":"Ada","roles":["admin","ops"]}');
      assert.equal(await renderTemplates('tags={{ input.tags }}', ctx), 'tags=["a","b"]');
      assert.equal(await renderTemplates('[{{ missing.x }}][{{ null }}]', ctx), '[][]');
      assert.equal(await renderTemplates('sum {{ 0.1 + 0.2 }}', ctx), 'sum 0.3');
      assert.equal(await renderTemplates(' {{ input.id }}', ctx), ' 7');
      assert.equal(await renderTemplates('{{ input.id }}{{ input.id }}', ctx), '77');
      assert.equal(await renderTemplates('no templates here', ctx), 'no templates here');
    });

    it('reads nested braces and }} inside string literals as part of the expression', async () => {
      const ctx = makeContext();
      assert.deepEqual(await renderTemplates('{{ {"a": {"b": input.id}} }}', ctx), { a: { b: 7 } });
      assert.deepEqual(await renderTemplates('{{{"a":1}}}', ctx), { a: 1 });
      assert.equal(await renderTemplates('x{{ "}}" & input.id }}y', ctx), 'x}}7y');
      assert.equal(await renderTemplates('{{ /* }} */ input.id }}', ctx), 7);
    });

    it('renders nested objects and arrays, leaving keys and non-string leaves alone', async () => {
      const ctx = makeContext();
      const when = new Date(0);
      const value = {
        url: 'https://api.test/items/{{ input.id }}',
        headers: { '{{ key }}': 'Bearer {{ vars.greeting }}', retries: 3, on: false, none: null },
        body: [{ sku: '{{ item.sku }}' }, ['{{ index }}', 5], '{{ fetch.result.items[0] }}'],
        when,
      };
      const out = await renderTemplates(value, ctx);
      assert.deepEqual(out, {
        url: 'https://api.test/items/7',
        headers: { '{{ key }}': 'Bearer Hello', retries: 3, on: false, none: null },
        body: [{ sku: 'X-1' }, [2, 5], { id: 1, name: 'one' }],
        when,
      });
    });

    it('copies instead of mutating the value and the context', async () => {
      const ctx = makeContext();
      const value = { a: ['{{ input.tags }}', { b: '{{ trigger.user }}' }], c: { d: 1 } };
      const valueBefore = structuredClone(value);
      const ctxBefore = structuredClone(ctx);
      const out = await renderTemplates(value, ctx);
      assert.deepEqual(value, valueBefore);
      assert.deepEqual(ctx, ctxBefore);
      assert.notEqual(out, value);
      assert.notEqual(out.a, value.a);
      assert.notEqual(out.c, value.c);
      // The rendered data is a copy: changing it does not reach the context.
      (out.a[0] as unknown as string[]).push('changed');
      (out.a[1] as unknown as { b: { name: string } }).b.name = 'changed';
      assert.deepEqual(ctx, ctxBefore);
    });

    it('keeps a data key named __proto__ as a key', async () => {
      const value = JSON.parse('{"__proto__": {"x": "{{ input.id }}"}, "y": 1}') as Record<string, unknown>;
      const out = await renderTemplates(value, makeContext());
      assert.equal(Object.getPrototypeOf(out), Object.prototype);
      assert.deepEqual(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, { x: 7 });
    });
  });

  describe('hyphenated node ids', () => {
    it('reads a context key containing - as a name, with or without backticks', async () => {
      const ctx = makeContext();
      assert.equal(await renderTemplates('{{ my-node.result.count }}', ctx), 3);
      assert.equal(await renderTemplates('{{ `my-node`.result.count }}', ctx), 3);
      assert.equal(await renderTemplates('n={{ my-node.result.count * 2 }}', ctx), 'n=6');
      assert.equal(await evaluateExpression('$sum([my-node.result.count, my-node.result.count])', ctx), 6);
      assert.equal(await evaluateExpression('$lookup($$, "my-node").result.count', ctx), 3);
    });

    it('leaves string literals, spaced subtraction and unknown names alone', async () => {
      const ctx = makeContext();
      assert.equal(await evaluateExpression('"my-node"', ctx), 'my-node');
      assert.equal(await evaluateExpression("'my-node.result'", ctx), 'my-node.result');
      assert.equal(await evaluateExpression('my.result - node.result', ctx), 6);
      assert.equal(await evaluateExpression('$match("my-node", /my-node/).match', ctx), 'my-node');
      // A `$variable` is never rewritten: this is `$my - node.result`.
      assert.equal(await evaluateExpression('($my := 5; $my-node.result)', ctx), 1);
      // `my-nod` is not a context key, so it stays a subtraction (of the object `my` and nothing).
      await expectExpressionError(() => evaluateExpression('my-nod', ctx), (error) => assert.match(error.message, /"-" operator/));
      assert.equal(await evaluateExpression('input.price-input.id', ctx), 5.5);
    });

    it('reports error positions in the expression as written', async () => {
      await expectExpressionError(
        () => evaluateExpression('my-node.result.count + "x"', makeContext()),
        (error) => {
          assert.equal(error.expression, 'my-node.result.count + "x"');
          assert.equal(error.position, 22);
        },
      );
    });
  });

  describe('errors', () => {
    it('wraps evaluation errors with the expression, JSONata message and position', async () => {
      const ctx = makeContext();
      await expectExpressionError(
        () => evaluateExpression('"a" + 1', ctx),
        (error) => {
          assert.equal(error.expression, '"a" + 1');
          assert.equal(error.code, 'T2001');
          assert.equal(error.position, 5);
          assert.match(error.message, /"a" \+ 1/);
          assert.match(error.message, /left side of the "\+" operator must evaluate to a number/);
          assert.match(error.message, /position 5/);
        },
      );
      await expectExpressionError(
        () => evaluateExpression('$nope(1)', ctx),
        (error) => assert.match(error.message, /\$nope\(1\).*Attempted to invoke a non-function/),
      );
      await expectExpressionError(
        () => evaluateExpression('$error("boom")', ctx),
        (error) => assert.match(error.message, /boom/),
      );
    });

    it('wraps syntax errors', async () => {
      await expectExpressionError(
        () => evaluateExpression('fetch.status = ', makeContext()),
        (error) => {
          assert.equal(error.expression, 'fetch.status = ');
          assert.match(error.message, /^Invalid expression `fetch.status = `: /);
          assert.equal(typeof error.position, 'number');
        },
      );
    });

    it('reports template errors with the expression inside {{ }}', async () => {
      await expectExpressionError(
        () => renderTemplates({ a: { b: 'x {{ input.id + "y" }}' } }, makeContext()),
        (error) => assert.equal(error.expression, 'input.id + "y"'),
      );
      await expectExpressionError(() => renderTemplates('{{ }}', makeContext()), (error) => assert.match(error.message, /Empty expression/));
      await expectExpressionError(
        () => renderTemplates('Hello {{ trigger.user.name', makeContext()),
        (error) => {
          assert.equal(error.expression, 'Hello {{ trigger.user.name');
          assert.match(error.message, /no matching `}}`/);
        },
      );
    });

    it('stops runaway recursion with a step budget instead of hanging', async function () {
      this.timeout(30_000);
      await expectExpressionError(
        () => evaluateExpression('($f := function($n){ $f($n + 1) }; $f(0))', {}),
        (error) => assert.equal(error.code, 'STEP_LIMIT'),
      );
    });
  });

  describe('syntax checks', () => {
    it('checkExpression returns null or a readable message', () => {
      assert.equal(checkExpression('fetch.status = 200'), null);
      assert.equal(checkExpression('my-node.result'), null);
      const message = checkExpression('fetch.status = ');
      assert.ok(message);
      assert.match(message, /fetch.status =/);
      assert.match(message, /Unexpected end of expression/);
      assert.match(checkExpression('"abc') ?? '', /String literal must be terminated/);
      assert.ok(checkExpression(''));
    });

    it('checkTemplates reports every bad {{ }} with its path', () => {
      const problems = checkTemplates({
        url: 'https://x.test/{{ input.id }}',
        headers: { Authorization: 'Bearer {{ vars.token + }}', 'Content Type': '{{ }}' },
        items: ['ok', { a: 1 }, 'bad {{ x ) }}', 'open {{ input.id'],
        count: 3,
      });
      assert.deepEqual(
        problems.map((p) => p.path),
        ['headers.Authorization', 'headers["Content Type"]', 'items[2]', 'items[3]'],
      );
      assert.match(problems[0].message, /vars.token \+/);
      assert.match(problems[1].message, /Empty expression/);
      assert.match(problems[3].message, /`{{` at offset 5 has no matching `}}`/);
    });

    it('checkTemplates prefixes basePath and accepts valid values', () => {
      assert.deepEqual(checkTemplates({ body: '{{ a + }}' }, 'nodes[2].data').map((p) => p.path), ['nodes[2].data.body']);
      assert.deepEqual(checkTemplates(['{{ a + }}'], 'nodes[0].data.list').map((p) => p.path), ['nodes[0].data.list[0]']);
      assert.deepEqual(checkTemplates('{{ a +'), [{ path: '', message: '`{{` at offset 0 has no matching `}}`' }]);
      assert.deepEqual(checkTemplates({ a: '{{ {"x": {"y": 1}} }}', b: 'plain', c: '{{ my-node.result }} and {{ `my-node` }}' }), []);
    });
  });

  describe('referencedRoots', () => {
    it('names the top-level context keys a template reads', () => {
      assert.deepEqual(referencedRoots('{{ fetch.result.x }}'), ['fetch']);
      assert.deepEqual(
        referencedRoots({ a: 'Hi {{ trigger.user.name }} {{ my-node.result }}', b: ['{{ $$.vars.x }}', '{{ $map(input.tags, function($t){ item.sku & $t }) }}'] }),
        ['trigger', 'my-node', 'vars', 'input', 'item'],
      );
    });

    it('reads a bare expression and skips names relative to items', () => {
      assert.deepEqual(referencedRoots('fetch.status = 200 and check.result'), ['fetch', 'check']);
      assert.deepEqual(referencedRoots('fetch.result.items[id = $$.input.id].name'), ['fetch', 'input']);
      assert.deepEqual(referencedRoots({ expression: 'not a template' }), []);
      assert.deepEqual(referencedRoots('{{ a + }}'), []);
    });
  });

  describe('sandbox', () => {
    const escapes = [
      '$string.constructor',
      '$string.constructor("return process")()',
      '$string.implementation',
      '$lookup($string, "implementation")',
      '$keys($string)',
      'trigger.constructor',
      'trigger.constructor.constructor("return process")()',
      'trigger.__proto__',
      'trigger.__proto__.constructor',
      'trigger.user.roles.constructor',
      'trigger.user.name.constructor',
      '$.constructor',
      '$$.constructor.prototype',
      '**.constructor',
      '*.prototype',
      '(function($x){$x}).constructor',
      '$lookup(function($x){$x}, "environment")',
      '$spread($string)',
      '/x/.constructor',
      '$eval("$string.constructor")',
      '$eval("trigger.constructor.constructor(\\"return process\\")()")',
      '$eval("$.__proto__")',
      '$lookup($$, "constructor")',
      '$lookup(trigger, "__proto__")',
      '$sift(trigger, function($v, $k){ true }).constructor',
      '$each(trigger, function($v, $k){ $v.constructor })',
      '$merge([trigger]).constructor',
      '{"__proto__": {"polluted": true}}.polluted',
      '$merge([{"__proto__": {"polluted": true}}]).polluted',
      '$ ~> |trigger|{"__proto__": {"polluted": true}}|',
      'trigger.fn',
      'trigger.fn()',
      '$clone(trigger).constructor',
      '$process',
      '$require("fs")',
      '$globalThis',
    ];

    for (const expression of escapes) {
      it(`gives nothing for ${expression}`, async () => {
        const ctx = { ...makeContext(), trigger: { user: { name: 'Ada', roles: ['a'] }, fn: () => globalThis } };
        let result: unknown;
        try {
          result = await evaluateExpression(expression, ctx);
        } catch (error) {
          assert.ok(error instanceof ExpressionError, `threw a non-ExpressionError: ${String(error)}`);
          return;
        }
        assertPlainJson(result);
        const text = JSON.stringify(result) ?? '';
        assert.doesNotMatch(text, /polluted|function|native code|process/);
      });
    }

    it('leaves Object.prototype unpolluted', async () => {
      await evaluateExpression('{"__proto__": {"polluted": true}}', {});
      await evaluateExpression('$merge([{"__proto__": {"polluted": true}}, {"constructor": {"prototype": {"polluted": true}}}])', {});
      await renderTemplates(JSON.parse('{"__proto__": {"polluted": "{{ true }}"}}'), {});
      assert.equal(({} as { polluted?: unknown }).polluted, undefined);
      assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
    });

    it('never hands back host functions from templates', async () => {
      const out = await renderTemplates({ a: '{{ $string }}', b: '{{ [$string, 1] }}', c: 'x{{ $eval }}y', d: '{{ $ }}' }, { trigger: { f: () => 1 } });
      assert.deepEqual(out, { a: undefined, b: [null, 1], c: 'xy', d: { trigger: {} } });
    });

    it('treats data that imitates JSONata functions as plain data', async () => {
      const ctx = { trigger: { _jsonata_lambda: true, _jsonata_function: true, body: { type: 'string', value: 'x' }, ok: 1 } };
      assert.deepEqual(await evaluateExpression('trigger', ctx), { body: { type: 'string', value: 'x' }, ok: 1 });
      await expectExpressionError(() => evaluateExpression('trigger()', ctx));
    });
  });

  describe('parse cache', () => {
    beforeEach(() => clearExpressionCache());

    it('parses a repeated expression once', async () => {
      const ctx = makeContext();
      for (let i = 0; i < 50; i++) await renderTemplates({ a: '{{ input.id }}', b: 'x {{ vars.greeting }}' }, ctx);
      const stats = expressionCacheStats();
      assert.equal(stats.misses, 2);
      assert.equal(stats.hits, 98);
      assert.equal(stats.size, 2);
    });

    it('stays bounded', async () => {
      for (let i = 0; i < EXPRESSION_CACHE_CAPACITY + 100; i++) await evaluateExpression(`${i} + 1`, {});
      assert.equal(expressionCacheStats().size, EXPRESSION_CACHE_CAPACITY);
      assert.equal(await evaluateExpression('0 + 1', {}), 1);
    });

    it('caches syntax errors too', () => {
      assert.ok(checkExpression('a +'));
      assert.ok(checkExpression('a +'));
      assert.deepEqual({ ...expressionCacheStats(), capacity: 0 }, { size: 1, capacity: 0, hits: 1, misses: 1 });
    });
  });
});
