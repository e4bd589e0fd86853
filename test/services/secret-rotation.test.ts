import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSecretBox } from '../../src/services/secret-box';
import { rotateSealedValues } from '../../src/services/secret-rotation';
import type { SealedColumn, SealedValueRepo } from '../../src/storage';

/** Sealed values of one column kept in a map; `onReplace` may change a row first (a concurrent write). */
function memoryStore(rows: Map<string, string>, onReplace?: (key: string) => void): SealedValueRepo {
  return {
    async exists(col) {
      return col.table !== 'later_table';
    },
    async page(_col, after, limit) {
      return [...rows.keys()]
        .sort()
        .filter((k) => after === undefined || k > after)
        .slice(0, limit)
        .map((key) => ({ key, value: rows.get(key)! }));
    },
    async replace(_col, key, expected, value) {
      onReplace?.(key);
      if (rows.get(key) !== expected) return false;
      rows.set(key, value);
      return true;
    },
  };
}

describe('secret rotation (re-sealing under the current key)', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const old = createSecretBox(oldKey);
  const box = createSecretBox(newKey, oldKey);
  const col: SealedColumn = { table: 'things', key: 'id', column: 'secret' };

  it('re-seals what is not current, page after page, keeps what is, and reports what neither key opens', async () => {
    const rows = new Map<string, string>();
    for (let i = 0; i < 450; i++) rows.set(`k${String(i).padStart(3, '0')}`, i % 3 === 0 ? box.seal({ i }) : old.seal({ i }));
    rows.set('lost', createSecretBox(randomBytes(32)).seal('gone'));
    const [report] = await rotateSealedValues(memoryStore(rows), box, [col]);
    assert.deepEqual(report, { column: 'things.secret', current: 150, resealed: 300, skipped: 0, unreadable: ['lost'] });
    for (const [key, value] of rows) {
      if (key === 'lost') continue;
      assert.ok(box.isCurrent(value), key);
      assert.deepEqual(createSecretBox(newKey).open(value), { i: Number(key.slice(1)) });
    }
  });

  it('leaves a value written meanwhile as it is, and skips a table that does not exist yet', async () => {
    const rows = new Map([['a', old.seal('before')]]);
    const store = memoryStore(rows, (key) => rows.set(key, box.seal('written meanwhile')));
    const report = await rotateSealedValues(store, box, [col, { table: 'later_table', key: 'id', column: 'x' }]);
    assert.deepEqual(report.map((r) => [r.resealed, r.skipped, r.missing]), [
      [0, 1, undefined],
      [0, 0, true],
    ]);
    assert.equal(box.open(rows.get('a')!), 'written meanwhile');
  });
});
