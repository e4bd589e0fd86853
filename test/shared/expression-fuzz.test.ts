/**
 * Hostile expressions against the evaluator as the interpreter uses it: each is placed (inline or
 * isolated), evaluated inline under the inline budget (and isolated when that runs out), or
 * evaluated isolated on an expression thread. Every one must end — with a value or a clear error —
 * in under 2 s, inline work must never hold this thread for long, and the process goes on.
 */
import assert from 'node:assert/strict';
import { placeEvaluation } from '../../src/nodes/eval-placement';
import {
  configureExpressionPool,
  DEFAULT_ISOLATED_BUDGET,
  evaluateIsolated,
  ExpressionBudgetError,
  shutdownExpressionProcesses,
} from '../../src/nodes/sandbox/expression-pool';
import { evaluateExpression, isBudgetExceeded } from '../../src/shared/expressions';
import { INLINE_BUDGET } from '../../workflows/evaluation';

const SIZES = [1_000, 100_000, 10_000_000, 1_000_000_000];
const REGEXES = ['/^(a+)+$/', '/(a|aa)+$/', '/(.*a){25}/', '/^(\\w+\\s?)*$/', '/(x+x+)+y/'];

/** Building blocks with a size `n` and a regex `r`; `$$.big` and `$$.bigs` are large context values. */
const SHAPES: ((n: number, r: string) => string)[] = [
  (n) => `$length($pad("x", ${n}))`,
  (n) => `$pad("", ${n}, "ab")`,
  (_n, r) => `$match("${'a'.repeat(30)}!", ${r})`,
  (_n, r) => `$replace("${'a'.repeat(28)}!", ${r}, "b")`,
  (_n, r) => `$contains("${'a'.repeat(30)}!", ${r})`,
  (_n, r) => `$split("${'aaaa '.repeat(10)}!", ${r})`,
  (n) => `$sort([1..${Math.min(n, 10_000_000)}], function($a, $b) { $a < $b })`,
  (n) => `$count([1..${Math.min(n, 10_000_000)}])`,
  (n) => `$sum($map([1..${Math.min(n, 10_000_000)}], function($v) { $v * 2 }))`,
  () => '($f := function($n) { $f($n + 1) }; $f(0))',
  () => '($f := function($n) { $n > 0 ? $f($n - 1) + $f($n - 1) : 1 }; $f(40))',
  () => '($a := function() { $b() }; $b := function() { $a() }; $a())',
  (n) => `$reduce([1..${Math.min(n, 64)}], function($acc) { $acc & $acc }, "xx")`,
  (n) => `$reduce([1..${Math.min(n, 64)}], function($acc) { $append($acc, $acc) }, [1])`,
  (n) => `$string($map([1..${Math.min(n, 10_000_000)}], function($v) { {"k": $v} }))`,
  (n) => `$distinct($map([1..${Math.min(n, 10_000_000)}], function($v) { $v % 7 }))`,
  (n) => `$join($map([1..${Math.min(n, 10_000_000)}], function($v) { $string($v) }), ",")`,
  () => '$eval("$eval(\\"$eval(\\\\\\"1\\\\\\")\\")")',
  (n) => `$eval("$pad(\\"x\\", ${n})")`,
  () => '$$.bigs.($string($$.big))',
  () => '$$.bigs.($$.big = $$.big2)',
  () => '$string($$) & $string($$) & $string($$) & $string($$)',
  () => '**.x',
  () => '$$.bigs{$string($): $}',
  () => '$$.bigs^(>$)',
  (n) => `$formatNumber(${n}, "${'#'.repeat(50)}0.00")`,
  (n) => `$fromMillis(${n}, "${'[Y0001]'.repeat(200)}")`,
  () => '$keys($$.bigobj)',
  (n) => `$spread($map([1..${Math.min(n, 10_000_000)}], function($v) { {$string($v): $v} }))`,
  (n) => `$zip([1..${Math.min(n, 10_000_000)}], [1..${Math.min(n, 10_000_000)}])`,
  (n) =>
    `$each($merge($map([1..${Math.min(n, 100_000)}], function($v) { {$string($v): $v} })), function($v, $k) { $k & $v })`,
  () => '$sift($$.bigobj, function($v) { $v > 3 })',
  (n) => `(${'('.repeat(200)}1${')'.repeat(200)}) + ${n}`,
  () => '$$.bigs.(a.b.c.d.e.f.g)',
  () => '$sum($$.bigs) * $count($$.bigs)',
];

/** A deterministic pseudo-random generator (mulberry32), so the same expressions run every time. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(count: number): string[] {
  const rnd = random(20261205);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const out = new Set<string>();
  for (const shape of SHAPES) for (const n of SIZES) out.add(shape(n, pick(REGEXES)));
  while (out.size < count) {
    const a = pick(SHAPES)(pick(SIZES), pick(REGEXES));
    const b = pick(SHAPES)(pick(SIZES), pick(REGEXES));
    out.add(pick([`${a} & ${b}`, `[${a}, ${b}]`, `{"a": ${a}}.a`, `${a} ? ${b} : 0`, `$string(${a})`]));
  }
  return [...out].slice(0, count);
}

const context = {
  input: { xs: [1, 2, 3] },
  big: Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `n${i}` })),
  big2: Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `n${i}` })),
  bigs: Array.from({ length: 50_000 }, (_, i) => i),
  bigobj: Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i])),
};

describe('hostile expressions (fuzz)', function () {
  this.timeout(600_000);
  // A shorter deadline than the default keeps the suite quick, and a spare process keeps one lane
  // from waiting on the other's replacement; the guarantee is the same.
  before(() => configureExpressionPool({ timeMs: 400, processes: 3 }));
  after(async () => {
    configureExpressionPool(DEFAULT_ISOLATED_BUDGET);
    await shutdownExpressionProcesses();
  });

  const expressions = generate(220);

  it(`ends each of ${expressions.length} hostile expressions in under 2 s, inline work never holding the thread`, async () => {
    assert.ok(expressions.length >= 200);
    const ids = new Set(Object.keys(context));
    let longestInlineMs = 0;
    const slow: string[] = [];
    const unclear: string[] = [];
    let isolatedCount = 0;
    let budgetErrors = 0;
    const queue = [...expressions];
    const lane = async () => {
      for (let expression = queue.shift(); expression !== undefined; expression = queue.shift()) {
        const started = performance.now();
        const placement = placeEvaluation(
          { expression },
          { expressionFields: ['expression'], skipFields: [] },
          ids,
        );
        let isolate = placement.mode === 'isolated';
        if (!isolate) {
          const inlineStarted = performance.now();
          try {
            await evaluateExpression(expression, context, {
              budget: { ...INLINE_BUDGET, used: { steps: 0, values: 0 } },
            });
          } catch (err) {
            if (isBudgetExceeded(err)) isolate = true;
          }
          longestInlineMs = Math.max(longestInlineMs, performance.now() - inlineStarted);
        }
        if (isolate) {
          isolatedCount++;
          try {
            await evaluateIsolated({ op: 'expression', value: expression, context });
          } catch (err) {
            if (err instanceof ExpressionBudgetError) {
              budgetErrors++;
              if (
                !/^(ran longer than|used more than|its thread exited|built a value too large|Evaluation exceeded)/.test(
                  err.message,
                )
              ) {
                unclear.push(`${expression}: ${err.message}`);
              }
            } else if (!(err instanceof Error) || !err.message) unclear.push(`${expression}: ${String(err)}`);
          }
        }
        const ms = performance.now() - started;
        if (ms >= 2_000) slow.push(`${Math.round(ms)} ms: ${expression.slice(0, 120)}`);
      }
    };
    await Promise.all([lane(), lane()]);
    assert.deepEqual(slow, [], 'every expression ends within 2 s');
    assert.deepEqual(unclear, [], 'every failure says what went wrong');
    assert.ok(
      longestInlineMs < 250,
      `inline evaluation held the thread for ${Math.round(longestInlineMs)} ms`,
    );
    assert.ok(isolatedCount > expressions.length / 2, `${isolatedCount} isolated`);
    assert.ok(budgetErrors > 20, `${budgetErrors} budget errors`);
  });
});
