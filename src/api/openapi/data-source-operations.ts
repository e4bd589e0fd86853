import { DATA_SOURCE_STATUSES, DATA_SOURCE_TYPES } from '../../storage';
import { dataSourceCreateBody, dataSourceListQuery, dataSourceQueryBody, dataSourceUpdateBody } from '../schemas/data-source-bodies';
import type { OperationDoc } from './operation-doc';
import { page } from './schemas';
import { z } from './zod';

const id = z.object({ id: z.string().uuid() });
const timestamp = z.string().datetime({ offset: true });

const dataSource = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    type: z.enum(DATA_SOURCE_TYPES),
    description: z.string().nullable(),
    config: z.record(z.unknown()).openapi({
      description: 'the settings without their secret fields',
      example: { host: 'db.example.com', port: 5432, database: 'shop', username: 'reader' },
    }),
    secret_fields: z.array(z.string()).openapi({ description: 'names of the stored secrets (`password`, `headers.X-Api-Key`), never values' }),
    read_only: z.boolean(),
    status: z.enum(DATA_SOURCE_STATUSES).openapi({ description: '`active` after a successful test, `error` after a failed one, `unknown` before (and after a change of settings)' }),
    status_message: z.string().nullable().openapi({ description: 'what the last test said' }),
    tested_at: timestamp.nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi('DataSource');

const testResult = z
  .object({
    status: z.enum(['success', 'error']),
    message: z.string().openapi({ example: 'Connected: PostgreSQL 15.8' }),
    latency_ms: z.number().int(),
  })
  .openapi('DataSourceTest');

const queryResult = z
  .object({
    data: z.array(z.record(z.unknown())).openapi({ description: 'the rows, at most `limit`' }),
    count: z.number().int().openapi({ description: 'rows in `data`' }),
    truncated: z.boolean().openapi({ description: 'whether the source had more rows than `limit`' }),
    columns: z.array(z.string()),
    affected_rows: z.number().int().nullable().openapi({ description: 'rows a write changed; null for statements that return rows' }),
    limit: z.number().int().openapi({ description: 'the row limit applied (a larger one asked for is capped to 10000)' }),
  })
  .openapi('DataSourceQueryResult');

const queryFailed =
  'A failing statement (syntax, a write refused by a read-only source, the statement timeout) is a 422 with `details.query` holding the database’s message; ' +
  'a source that cannot be reached (connection refused, refused address, bad login) a 422 with `details.data_source`. `details.retryable` says whether trying again may help.';

/** `/api/v1/data-sources` (docs/data-sources.md). */
export const dataSourceOperations: OperationDoc[] = [
  {
    method: 'post',
    path: '/api/v1/data-sources',
    tag: 'data-sources',
    summary: 'Add a data source (postgresql, mysql, sqlite, api or json)',
    description:
      'The config is checked against the type (422 naming each problem under `config.`), a host the private-address guard refuses (not in ' +
      '`HTTP_ALLOWED_HOSTS`) is a 422 too, as is a SQLite file outside `DATA_DIR/data-sources/`. Secret fields are stored sealed and never shown. ' +
      'Names are unique per owner (409). Read-only unless `read_only: false`.',
    body: {
      schema: dataSourceCreateBody,
      example: { name: 'price list', type: 'json', description: 'inline prices', config: { data: { items: [{ sku: 'a1', price: 3 }] } } },
    },
    responses: { 201: { description: 'the data source (status `unknown`)', schema: dataSource } },
    errors: [409],
  },
  {
    method: 'get',
    path: '/api/v1/data-sources',
    tag: 'data-sources',
    summary: 'Your data sources, by name (filter by `type` and `status`)',
    query: dataSourceListQuery,
    responses: { 200: { description: 'a page of data sources', schema: page(dataSource, 'DataSourcePage') } },
  },
  {
    method: 'get',
    path: '/api/v1/data-sources/{id}',
    tag: 'data-sources',
    summary: 'One data source (without its secrets)',
    params: id,
    responses: { 200: { description: 'the data source', schema: dataSource } },
  },
  {
    method: 'put',
    path: '/api/v1/data-sources/{id}',
    tag: 'data-sources',
    summary: 'Change a data source; `config` replaces the stored one',
    description:
      'Fields left out stay. A secret field the new config leaves out stays as stored (null removes it). New settings reset `status` to `unknown` and close the source’s connections.',
    params: id,
    body: { schema: dataSourceUpdateBody, example: { name: 'price list', description: 'updated' } },
    responses: { 200: { description: 'the data source', schema: dataSource } },
    errors: [409],
  },
  {
    method: 'patch',
    path: '/api/v1/data-sources/{id}',
    tag: 'data-sources',
    summary: 'Change a data source; `config` is merged key by key (null removes a key)',
    params: id,
    body: { schema: dataSourceUpdateBody, example: { read_only: true } },
    responses: { 200: { description: 'the data source', schema: dataSource } },
    errors: [409],
  },
  {
    method: 'delete',
    path: '/api/v1/data-sources/{id}',
    tag: 'data-sources',
    summary: 'Delete a data source and close its connections',
    params: id,
    responses: { 204: { description: 'deleted' } },
  },
  {
    method: 'post',
    path: '/api/v1/data-sources/{id}/test',
    tag: 'data-sources',
    summary: 'Test the connection; the outcome becomes the source’s status',
    description: 'Always 200: a failed connection is `{status: "error", message}` (and status `error`).',
    params: id,
    responses: { 200: { description: 'the outcome', schema: testResult } },
  },
  {
    method: 'post',
    path: '/api/v1/data-sources/{id}/query',
    tag: 'data-sources',
    summary: 'Run one query (read-only unless the source allows writes)',
    description: `At most \`limit\` rows (default 1000, capped to 10000) within \`timeout_ms\` (default 30000). ${queryFailed}`,
    params: id,
    body: { schema: dataSourceQueryBody, example: { query: 'data.items[price > $$.params[0]]', params: [2], limit: 100 } },
    responses: { 200: { description: 'the rows', schema: queryResult } },
  },
];
