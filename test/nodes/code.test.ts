import assert from 'node:assert/strict';
import { NodeError } from '../../src/nodes/node-definition';
import { FairQueue } from '../../src/nodes/sandbox/fair-queue';
import { MAX_JOBS_PER_OWNER, shutdownSandbox } from '../../src/nodes/sandbox/sandbox-pool';
import { codeNode } from '../../src/nodes/types/code';
import { makeNodeContext, renderedData, type NodeContextOverrides } from '../helpers/node-context';

describe('code node', () => {
  after(() => shutdownSandbox());

  function run(data: Record<string, unknown>, overrides: NodeContextOverrides = {}) {
    const ctx = makeNodeContext(overrides);
    return { ctx, promise: codeNode.execute!(renderedData(codeNode, data), ctx) };
  }

  async function result(code: string, overrides?: NodeContextOverrides): Promise<unknown> {
    return (await run({ code }, overrides).promise).output.result;
  }

  async function failure(
    data: Record<string, unknown>,
    overrides?: NodeContextOverrides,
  ): Promise<NodeError> {
    try {
      await run(data, overrides).promise;
    } catch (err) {
      assert.ok(err instanceof NodeError, `expected a NodeError, got ${String(err)}`);
      return err;
    }
    assert.fail('expected the code to fail');
  }

  describe('results', () => {
    it('returns what the code returns', async () => {
      assert.equal(await result('return 1 + 2'), 3);
      assert.equal(await result('return "text"'), 'text');
      assert.deepEqual(await result('return { list: [1, "a", null, true], nested: { x: 1.5 } }'), {
        list: [1, 'a', null, true],
        nested: { x: 1.5 },
      });
      assert.equal(await result('const x = 1;'), null, 'no return value gives null');
    });

    it('sees input (the run\'s input), prev (the upstream output) and the run context', async () => {
      const overrides: NodeContextOverrides = {
        prev: { items: [{ price: 5 }, { price: 20 }] },
        context: {
          trigger: { type: 'manual' },
          input: { from: 'start', xs: [1, 2, 3] },
          prev: { items: [{ price: 5 }, { price: 20 }] },
          vars: { threshold: 10 },
          fetch: { result: { ok: true }, status: 200 },
          'fetch-data': { result: 'dashed' },
          item: 'current',
          index: 3,
        },
      };
      const out = await result(
        `return {
          count: prev.items.filter((i) => i.price > vars.threshold).length,
          sum: input.xs.reduce((a, b) => a + b, 0),
          trigger: trigger.type,
          fetched: fetch.result.ok,
          dashed: context['fetch-data'].result,
          runInput: context.input.from,
          item, index,
        }`,
        overrides,
      );
      assert.deepEqual(out, {
        count: 1,
        sum: 6,
        trigger: 'manual',
        fetched: true,
        dashed: 'dashed',
        runInput: 'start',
        item: 'current',
        index: 3,
      });
    });

    it('gives runs compiled before `prev` existed their upstream output as input, as they had it', async () => {
      const out = await result('return input.items.length', {
        prev: { items: [1, 2] },
        context: { input: { from: 'start' }, vars: {} },
      });
      assert.equal(out, 2);
    });

    it('awaits async code', async () => {
      const code = `
        const double = async (n) => n * 2;
        const values = await Promise.all([1, 2, 3].map(double));
        return await new Promise((resolve) => resolve(values));`;
      assert.deepEqual(await result(code), [2, 4, 6]);
    });

    it('refuses results that are not JSON', async () => {
      for (const code of [
        'return () => 1',
        'return 10n',
        'const o = {}; o.self = o; return o',
        'return Symbol("s")',
      ]) {
        const err = await failure({ code });
        assert.equal(err.options.type, 'CodeResultError', code);
        assert.equal(err.options.retryable, false);
        assert.match(err.message, /not JSON/);
      }
    });

    it('keeps nothing from one execution to the next', async () => {
      await result('globalThis.leak = 42; Object.prototype.polluted = true; return 1');
      assert.deepEqual(await result('return [typeof leak, ({}).polluted === undefined]'), [
        'undefined',
        true,
      ]);
    });
  });

  describe('console', () => {
    it('forwards console output to the run log', async () => {
      const { ctx, promise } = run({
        code: 'console.log("hello", { a: 1 }, [2]); console.info("i"); console.warn("careful"); console.error(new Error("bad")); return 1',
      });
      await promise;
      const lines = ctx.logs.filter((l) => l.meta?.source === 'console').map((l) => [l.level, l.message]);
      assert.deepEqual(lines, [
        ['info', 'hello {"a":1} [2]'],
        ['info', 'i'],
        ['warn', 'careful'],
        ['error', 'Error: bad'],
      ]);
    });
  });

  describe('errors', () => {
    it('reports errors thrown by the code with their line', async () => {
      const err = await failure({ code: 'const a = 1;\n\nthrow new TypeError("boom " + a);' });
      assert.equal(err.options.retryable, false);
      assert.equal(err.options.type, 'CodeError');
      assert.equal(err.message, 'TypeError: boom 1 (line 3)');
      assert.equal((err.options.details as { line: number }).line, 3);
    });

    it('reports syntax errors readably', async () => {
      const err = await failure({ code: 'const a = 1;\nconst b = ;\nreturn a;' });
      assert.equal(err.options.retryable, false);
      assert.match(err.message, /^SyntaxError: .+ \(line 2\)$/);
    });

    it('reports a promise that can never settle', async () => {
      const err = await failure({ code: 'return new Promise(() => {})' });
      assert.match(err.message, /never settles/);
    });

    it('rejects invalid limits at validation time', () => {
      assert.equal(codeNode.dataSchema.safeParse({ code: 'return 1', timeout_ms: 120_000 }).success, false);
      assert.equal(codeNode.dataSchema.safeParse({ code: 'return 1', memory_limit_mb: 1024 }).success, false);
      assert.equal(codeNode.dataSchema.safeParse({ code: '' }).success, false);
    });
  });

  describe('sandbox', () => {
    it('has no process, require, network, timers or host globals', async () => {
      const names = [
        'process',
        'require',
        'module',
        'Buffer',
        'fetch',
        'XMLHttpRequest',
        'setTimeout',
        'setInterval',
        'WebAssembly',
        'std',
        'os',
      ];
      const out = (await result(`return [${names.map((n) => `typeof ${n}`).join(', ')}]`)) as string[];
      assert.deepEqual(
        out,
        names.map(() => 'undefined'),
      );
    });

    it('cannot reach the host through the Function constructor or prototypes', async () => {
      for (const code of [
        "return globalThis.constructor.constructor('return process')()",
        "return console.log.constructor('return process')()",
        "return (async () => {}).constructor('return require')()",
        "return require('fs').readFileSync('/etc/passwd', 'utf8')",
      ]) {
        const err = await failure({ code });
        assert.equal(err.options.type, 'CodeError', code);
        assert.match(err.message, /ReferenceError: '(process|require)' is not defined/);
      }
      assert.equal(
        await result("return Function('return this')() === globalThis"),
        true,
        "the global is the sandbox's own",
      );
    });

    it('stops an infinite loop within the time limit', async () => {
      const started = Date.now();
      const err = await failure({ code: 'while (true) {}', timeout_ms: 200 });
      assert.ok(Date.now() - started < 1_500, `took ${Date.now() - started} ms`);
      assert.equal(err.options.type, 'CodeTimeout');
      assert.equal(err.options.retryable, false);
      assert.equal(err.message, 'Code timed out after 200 ms');
    });

    it('stops a loop that swallows errors', async () => {
      const err = await failure({ code: 'for (;;) { try { for (;;) {} } catch (e) {} }', timeout_ms: 200 });
      assert.equal(err.options.type, 'CodeTimeout');
    });

    it('stops slow native calls that the interpreter cannot interrupt', async () => {
      const started = Date.now();
      const err = await failure({ code: 'for (;;) { "x".repeat(1e7) }', timeout_ms: 200 });
      assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
      assert.equal(err.options.type, 'CodeTimeout');
    });

    it('stops memory bombs at the memory limit', async () => {
      for (const code of [
        'const keep = []; for (;;) keep.push("x".repeat(100000) + keep.length)',
        'const keep = []; for (;;) keep.push(new Uint8Array(1e6))',
        'const keep = []; for (;;) keep.push({ n: keep.length })',
        'let s = "ab"; for (;;) s = s + s',
      ]) {
        const started = Date.now();
        const err = await failure({ code, memory_limit_mb: 16, timeout_ms: 10_000 });
        assert.equal(err.options.retryable, false, code);
        assert.ok(['CodeMemoryLimit', 'CodeError'].includes(err.options.type!), `${code}: ${err.message}`);
        if (err.options.type === 'CodeError') assert.match(err.message, /string too long/, code);
        assert.ok(Date.now() - started < 5_000, `${code} took ${Date.now() - started} ms`);
      }
    });

    it('stops runaway recursion', async () => {
      const err = await failure({ code: 'function f(n) { return f(n + 1) + 1 } return f(0)' });
      assert.equal(err.options.type, 'CodeError');
      assert.match(err.message, /stack overflow/);
    });

    it('is cancelled with the run', async () => {
      const controller = new AbortController();
      const { promise } = run({ code: 'while (true) {}', timeout_ms: 30_000 }, { signal: controller.signal });
      const started = Date.now();
      setTimeout(() => controller.abort(new Error('run cancelled')), 200);
      await assert.rejects(promise, /run cancelled/);
      assert.ok(Date.now() - started < 2_000);
      assert.equal(await result('return "still works"'), 'still works');
    });

    it("shares the threads fairly: one owner's runaway code cannot make another owner's wait", async function () {
      this.timeout(30_000);
      const runaway = Array.from({ length: 4 }, () => {
        const controller = new AbortController();
        const { ctx, promise } = run(
          { code: 'console.log("started"); while (true) {}', timeout_ms: 20_000 },
          { ownerId: 'owner-a', signal: controller.signal },
        );
        return { ctx, controller, settled: promise.catch((err: unknown) => err) };
      });
      try {
        // Let owner A's jobs take what they can.
        await new Promise((r) => setTimeout(r, 500));
        const started = Date.now();
        assert.equal(await result('return 1', { ownerId: 'owner-b' }), 1);
        assert.ok(Date.now() - started < 2_000, `owner B waited ${Date.now() - started} ms`);
        const running = runaway.filter((r) => r.ctx.logs.some((l) => l.message === 'started')).length;
        assert.ok(running >= 1 && running <= MAX_JOBS_PER_OWNER, `${running} of owner A's jobs running at once`);
      } finally {
        // Cancelling frees the threads at once, also for a job handed a thread by the cancellation before it.
        const cancelled = Date.now();
        for (const r of runaway) r.controller.abort(new Error('test over'));
        await Promise.all(runaway.map((r) => r.settled));
        assert.ok(Date.now() - cancelled < 2_000, `cancelling took ${Date.now() - cancelled} ms`);
      }
      assert.equal(await result('return "still works"'), 'still works');
    });

    it('queues waiting jobs per owner and serves the owners in turn, skipping those at their share', () => {
      const q = new FairQueue<string>();
      for (const job of ['a1', 'a2', 'a3', 'a4']) q.push('a', job);
      q.push('b', 'b1');
      q.push('b', 'b2');
      q.push('c', 'c1');
      assert.equal(q.size, 7);
      assert.deepEqual([q.shift(), q.shift(), q.shift(), q.shift(), q.shift()], ['a1', 'b1', 'c1', 'a2', 'b2']);
      // An owner at its share is passed over without losing its place among its own jobs.
      q.push('c', 'c2');
      assert.equal(q.shift((owner) => owner !== 'a'), 'c2');
      assert.equal(q.shift((owner) => owner !== 'a'), undefined);
      assert.equal(q.remove('a', 'a3'), true);
      assert.equal(q.remove('a', 'a3'), false);
      assert.deepEqual([q.shift(), q.shift(), q.size], ['a4', undefined, 0]);
    });

    it('runs executions in parallel without sharing state', async () => {
      const outs = await Promise.all(
        [1, 2, 3, 4, 5, 6].map((n) => result(`globalThis.n = (globalThis.n ?? 0) + ${n}; return n`)),
      );
      assert.deepEqual(outs, [1, 2, 3, 4, 5, 6]);
    });
  });
});
