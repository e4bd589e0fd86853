import assert from 'node:assert/strict';
import { checkExpression, referencedRoots } from '../../src/shared/expressions';
import { simpleExpressionRoots } from '../../src/nodes/simple-expression';

/** Whatever the fast recogniser accepts, JSONata must parse, with the same roots. */
function agreesWithJsonata(source: string): void {
  const roots = simpleExpressionRoots(source);
  if (!roots) return;
  assert.equal(checkExpression(source), null, `accepted but JSONata rejects: ${source}`);
  assert.deepEqual([...roots].sort(), [...referencedRoots(source)].sort(), `roots differ for: ${source}`);
}

describe('simpleExpressionRoots', () => {
  it('reads common expressions and their roots without JSONata', () => {
    const cases: [string, string[]][] = [
      ['fetch.result', ['fetch']],
      ['input', ['input']],
      ['fetch.status = 200 and input.ok', ['fetch', 'input']],
      ['a.b >= 1.5 or c != "x"', ['a', 'c']],
      ["{ \"value\": n2.result, 'n': 13 }", ['n2']],
      ['$string(c3.result) & "5"', ['c3']],
      ['[1, a, (b + 2) * 3]', ['a', 'b']],
      ['x in ["a", "b"]', ['x']],
      ['$count([]) = 0', []],
      ['true', []],
    ];
    for (const [source, roots] of cases) {
      assert.deepEqual(simpleExpressionRoots(source), roots, source);
      agreesWithJsonata(source);
    }
  });

  it('leaves everything else to JSONata', () => {
    for (const source of [
      '',
      'a[0]',
      'items[price > 10].name',
      'a - b',
      'my-node.result',
      '-1',
      '$x',
      '$$.a',
      '$.a',
      '`odd name`.x',
      'a.b.c{ "k": v }',
      '(a).b',
      'a ? b : c',
      'function($x) { $x }',
      '"a\\"b"',
      'a /* c */ = 1',
      'and = 1',
      'a = ',
      '(a',
      '{ a: 1 }',
      '[1, ]',
      'a.true',
      'café.x',
      '1e3',
      'a = 1 and$f(2)',
      "a$b = 1",
    ]) {
      assert.equal(simpleExpressionRoots(source), undefined, source);
    }
  });

  it('never accepts what JSONata rejects (random token soup)', () => {
    const alphabet = ['a', 'b.c', 'n1', 'and', 'or', 'in', 'true', 'null', '1', '0.5', '"s"', "'t'", '=', '!=', '<', '<=', '>', '>=', '&', '+', '*', '/', '(', ')', '[', ']', '{', '}', ',', ':', '.', '$f(', '$g', 'function'];
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const length = 1 + random(9);
      const parts: string[] = [];
      for (let j = 0; j < length; j++) parts.push(alphabet[random(alphabet.length)]);
      const source = parts.join(random(2) ? ' ' : '');
      if (simpleExpressionRoots(source)) accepted++;
      agreesWithJsonata(source);
    }
    assert.ok(accepted > 500, `only ${accepted} random expressions were in the subset`);
  });

  it('never accepts what JSONata rejects (random, mutated expressions)', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const names = ['a', 'b', 'n1', 'x_y', 'and', 'or', 'in', 'true', 'null', 'function'];
    const ops = ['=', '!=', '<', '<=', '>', '>=', '&', '+', '*', '/', 'and', 'or', 'in', '-', '%', '?', ':', '..'];
    const many = (d: number, item: (d: number) => string) => Array.from({ length: random(3) }, () => item(d + 1)).join(', ');
    const gen = (d: number): string => {
      switch (random(d > 3 ? 4 : 9)) {
        case 0:
          return names[random(names.length)] + (random(2) ? `.${names[random(names.length)]}` : '');
        case 1:
          return String(random(3) ? random(100) : (random(100) / 7).toFixed(2));
        case 2:
          return random(2) ? `"s${random(9)}"` : "'t'";
        case 3:
          return `${gen(d + 1)} ${ops[random(ops.length)]} ${gen(d + 1)}`;
        case 4:
          return `(${gen(d + 1)})`;
        case 5:
          return `[${many(d, gen)}]`;
        case 6:
          return `{${many(d, (e) => `${random(5) ? `"k${random(5)}"` : names[random(3)]}: ${gen(e)}`)}}`;
        case 7:
          return `$${['string', 'count', 'x'][random(3)]}(${many(d, gen)})`;
        default:
          return gen(d + 1) + ops[random(ops.length)] + gen(d + 1);
      }
    };
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) {
      let source = gen(0);
      if (random(4) === 0) {
        const at = random(source.length + 1);
        source = source.slice(0, at) + ['(', ')', ',', '.', ' ', '{', ']', '$'][random(8)] + source.slice(at);
      }
      if (simpleExpressionRoots(source)) accepted++;
      agreesWithJsonata(source);
    }
    assert.ok(accepted > 200, `only ${accepted} random expressions were in the subset`);
  });
});
