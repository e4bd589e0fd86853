import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { cacheStatements } from '../../src/storage/sqlite-statement-cache';
import { createDb } from '../../src/storage';

describe('SQLite statement cache', () => {
  it('compiles a statement once per SQL text and keeps only the newest max', () => {
    const conn = new Database(':memory:');
    let compiled = 0;
    const prepare = conn.prepare.bind(conn);
    (conn as { prepare: (sql: string) => unknown }).prepare = (sql: string) => {
      compiled++;
      return prepare(sql);
    };
    cacheStatements(conn as unknown as { prepare(sql: string): unknown }, 2);
    const a = conn.prepare('select 1 as x');
    assert.equal(conn.prepare('select 1 as x'), a);
    conn.prepare('select 2 as x');
    conn.prepare('select 1 as x'); // refreshes the first
    conn.prepare('select 3 as x'); // drops "select 2", the least recently used
    assert.equal(compiled, 3);
    conn.prepare('select 1 as x');
    assert.equal(compiled, 3, 'the refreshed statement was kept');
    conn.prepare('select 2 as x');
    assert.equal(compiled, 4, 'the dropped one is compiled again');
    conn.close();
  });

  it('gives knex the same answers with cached statements, across schema changes', async () => {
    const db = createDb({ client: 'sqlite', filename: ':memory:' });
    try {
      await db.schema.createTable('t', (t) => {
        t.integer('id').primary();
        t.string('name');
      });
      for (let i = 1; i <= 3; i++) await db('t').insert({ id: i, name: `n${i}` });
      const names = async () => (await db('t').select('name').orderBy('id')).map((r) => r.name);
      assert.deepEqual(await names(), ['n1', 'n2', 'n3']);
      assert.equal(await db('t').where({ id: 2 }).update({ name: 'two' }), 1);
      assert.deepEqual(await names(), ['n1', 'two', 'n3']);
      // A cached `select *` after the table gained a column reads the new column.
      const all = async () => db('t').select('*').orderBy('id');
      await all();
      await db.schema.alterTable('t', (t) => t.string('extra').defaultTo('x'));
      assert.deepEqual((await all()).map((r) => r.extra), ['x', 'x', 'x']);
      await db.transaction(async (trx) => {
        await trx('t').insert({ id: 4, name: 'n4' });
      });
      assert.deepEqual(await names(), ['n1', 'two', 'n3', 'n4']);
    } finally {
      await db.destroy();
    }
  });
});
