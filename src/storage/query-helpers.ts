import { type Knex } from 'knex';
import { dialectOf, type Dialect } from './codec';

/** Offset pagination, as in the API's `?skip=&limit=`. */
export interface PageOptions {
  skip?: number;
  limit?: number;
}

/** One page of rows and the number of rows matching the filters. */
export interface Page<T> {
  items: T[];
  total: number;
}

/** Restricts a query to rows of one owner; `undefined` (an admin) sees every owner. */
export interface OwnerScope {
  ownerId?: string;
}

export const DEFAULT_LIMIT = 20;

/** Pagination bounds with defaults applied (skip 0, limit 20) and negative values clamped. */
export function pageBounds(options: PageOptions): { skip: number; limit: number } {
  return {
    skip: Math.max(0, Math.floor(options.skip ?? 0)),
    limit: Math.max(0, Math.floor(options.limit ?? DEFAULT_LIMIT)),
  };
}

/** A LIKE pattern matching `term` anywhere, lower-cased, with `%`, `_` and `\` escaped (ESCAPE '\'). */
export function containsPattern(term: string): string {
  return `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Adds "any of `columns` contains `term`, ignoring case". `lower() LIKE` behaves the same on
 * Postgres and SQLite, unlike ILIKE (Postgres only) or LIKE (case-sensitive on Postgres).
 */
export function whereContainsIgnoreCase(qb: Knex.QueryBuilder, columns: string[], term: string): void {
  const pattern = containsPattern(term);
  qb.where((w) => {
    for (const column of columns) w.orWhereRaw('lower(??) like ? escape ?', [column, pattern, '\\']);
  });
}

/** The number of rows `qb` would return without paging (its select, order, limit and offset are dropped). */
export async function countRows(qb: Knex.QueryBuilder): Promise<number> {
  const row = (await qb
    .clone()
    .clearSelect()
    .clearOrder()
    .clear('limit')
    .clear('offset')
    .count({ n: '*' })
    .first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

/** One page of `qb`'s rows (`select`, in `orderBy` order) and how many rows match without paging. */
export async function selectPage<Row = Record<string, unknown>>(
  qb: Knex.QueryBuilder,
  options: PageOptions,
  select: string | string[],
  orderBy: { column: string; order: 'asc' | 'desc' }[],
): Promise<Page<Row>> {
  const { skip, limit } = pageBounds(options);
  const page = qb.clone().select(select).orderBy(orderBy).offset(skip).limit(limit);
  const [total, items] = await Promise.all([countRows(qb), page]);
  return { items: items as Row[], total };
}

/**
 * SQL for the text value of `key` in JSON column `column` (`->>` on Postgres, `json_extract` on
 * SQLite). Both names are written into the SQL, so they must be plain identifiers; the column may
 * be qualified by a table or alias (`e.trigger`) for joins.
 */
export function jsonTextSql(dialect: Dialect, column: string, key: string): string {
  const parts = column.split('.');
  for (const name of [...parts, key]) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || parts.length > 2) throw new Error(`Unsupported JSON column or key: ${name}`);
  }
  const col = parts.map((p) => `"${p}"`).join('.');
  return dialect === 'pg' ? `(${col}->>'${key}')` : `json_extract(${col}, '$.${key}')`;
}

/** Adds "the text value of `key` in JSON column `column` equals `value`". */
export function whereJsonTextEquals(
  qb: Knex.QueryBuilder,
  db: Knex,
  column: string,
  key: string,
  value: string,
): void {
  qb.whereRaw(`${jsonTextSql(dialectOf(db), column, key)} = ?`, [value]);
}
