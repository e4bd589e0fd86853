import assert from 'node:assert/strict';
import jsonata from 'jsonata';
import { inlineVerdict, readsWholeRoot } from '../../src/shared/expression-policy';
import { evaluateExpression, isBudgetExceeded, renderTemplates } from '../../src/shared/expressions';
import { INLINE_BUDGET } from '../../workflows/evaluation';

function verdict(source: string) {
  return inlineVerdict(jsonata(source).ast(), source);
}

const budget = () => ({ ...INLINE_BUDGET, used: { steps: 0, values: 0 } });

describe('expression placement policy', () => {
  const inline = [
    'fetch.status = 200',
    'input.amount > 100 and input.currency in ["EUR", "USD"]',
    '$sum(fetch.result.items[price > 10].price)',
    '{ "count": $count(input.xs), "first": input.xs[0] }',
    'items[$ > 3]',
    '$$.input.a',
    'a ? b : -c',
    '"Hello, " & $uppercase(input.name)',
    'input.name ~> $trim()',
    '$string($)',
    '$lookup(vars, "x") & $join(input.tags, ",")',
    '$now()',
  ];
  for (const source of inline) {
    it(`runs inline: ${source}`, () => assert.deepEqual(verdict(source), { inline: true }));
  }

  const isolated: [string, RegExp][] = [
    ['$map(xs, function($v) { $v * 2 })', /\$map|function/],
    ['$match(s, /^(a+)+$/)', /regular expression|\$match/],
    ['[1..1000]', /range/],
    ['$x := 3', /binding/],
    ['$pad("x", 50000000)', /\$pad/],
    ['$sort(xs)', /\$sort/],
    ['$eval(s)', /\$eval/],
    ['items.($$.big)', /root/],
    ['items[$$.x = 1]', /root/],
    ['a^(b)', /sort/],
    ['**.a', /descendant/],
    ['a{b: c}', /group/],
    ['a.%.b', /parent|positional/],
    ['$reduce(xs, $append)', /\$reduce/],
    ['$replace(s, "a", s)', /\$replace/],
    ['input ~> |a|{"b": 1}|', /transform|~>/],
    ['xs#$i', /positional/],
  ];
  for (const [source, reason] of isolated) {
    it(`runs isolated: ${source}`, () => {
      const v = verdict(source);
      assert.equal(v.inline, false);
      assert.match((v as { reason: string }).reason, reason);
    });
  }

  it('sends long expressions to isolation', () => {
    const long = Array.from({ length: 500 }, (_, i) => `a${i}`).join(' + ');
    assert.equal(verdict(long).inline, false);
  });

  it('knows when an expression reads the whole context', () => {
    const whole = (s: string) => readsWholeRoot(jsonata(s).ast());
    assert.equal(whole('$keys($$)'), true);
    assert.equal(whole('$string($)'), true);
    assert.equal(whole('$eval("a")'), true);
    assert.equal(whole('$lookup($$, "a")'), true);
    assert.equal(whole('fetch.result + $$.input.x'), false);
    assert.equal(whole('items[$ > 1]'), false);
  });

  describe('inline budget', () => {
    it('stops a path over too much data with a budget error (the caller then isolates it)', async () => {
      const context = { input: { xs: Array.from({ length: 100_000 }, (_, i) => ({ v: i })) } };
      await assert.rejects(
        () => evaluateExpression('$sum(input.xs.v)', context, { budget: budget() }),
        (err) => isBudgetExceeded(err),
      );
    });

    it('stops a filter that runs too many steps', async () => {
      const context = { input: { xs: Array.from({ length: 20_000 }, (_, i) => i) } };
      const b = { ...budget(), maxValues: Infinity };
      await assert.rejects(() => evaluateExpression('$count(input.xs[$ > 5 and $ < 100000])', context, { budget: b }), (err) => isBudgetExceeded(err));
      assert.ok(b.used.steps > INLINE_BUDGET.maxSteps);
    });

    it('counts long strings by their length', async () => {
      const context = { input: { s: 'x'.repeat(20_000_000) } };
      await assert.rejects(() => renderTemplates('{{ $length(input.s) }}', context, { budget: budget() }), (err) => isBudgetExceeded(err));
    });

    it('lets ordinary expressions through and says what they used', async () => {
      const b = budget();
      const value = await evaluateExpression('$sum(input.xs[$ > 1])', { input: { xs: [1, 2, 3] } }, { budget: b });
      assert.equal(value, 5);
      assert.ok(b.used.steps > 0 && b.used.steps < 100, `steps ${b.used.steps}`);
      assert.ok(b.used.values >= 4, `values ${b.used.values}`);
    });

    it('shares one budget across the templates of one render', async () => {
      const b = budget();
      await renderTemplates({ a: '{{ input.x }}', b: '{{ input.x + 1 }}' }, { input: { x: 1 } }, { budget: b });
      const single = budget();
      await renderTemplates({ a: '{{ input.x }}' }, { input: { x: 1 } }, { budget: single });
      assert.ok(b.used.steps > single.used.steps);
    });
  });
});
