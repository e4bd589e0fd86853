import { z } from 'zod';
import {
  DEFAULT_QUERY_TIMEOUT_MS,
  DEFAULT_ROW_LIMIT,
  MAX_QUERY_TIMEOUT_MS,
  MAX_ROW_LIMIT,
  SQL_DATA_SOURCE_TYPES,
} from '../data-sources';
import { NETWORK_HEARTBEAT_TIMEOUT_MS } from '../defaults';
import { defineNode } from '../node-definition';
import { templateString } from '../schema-helpers';

const limit = z.number().int().min(1).describe(`Rows to return at most (default ${DEFAULT_ROW_LIMIT}, capped to ${MAX_ROW_LIMIT})`);
const timeout = z.number().int().min(1).max(MAX_QUERY_TIMEOUT_MS).describe('Statement timeout in milliseconds');

/** Data of a `sql` node as stored in a flow (`query` is never rendered). */
const dataSchema = z
  .object({
    data_source: z.string().trim().min(1, 'Name a data source').max(255).describe('Id or name of a postgresql, mysql or sqlite data source'),
    query: z
      .string()
      .trim()
      .min(1, 'Query is required')
      .max(100_000)
      .describe('One SQL statement with placeholders ($1, $2… on PostgreSQL; ? on MySQL and SQLite); never rendered'),
    params: z
      .union([z.array(z.unknown()), templateString])
      .default([])
      .describe('Values of the placeholders, in order; templates allowed'),
    limit: z.union([limit, templateString]).default(DEFAULT_ROW_LIMIT),
    timeout_ms: z.union([timeout, templateString]).default(DEFAULT_QUERY_TIMEOUT_MS),
  })
  .strict();

/** The same data after rendering: concrete values only. */
const renderedSchema = dataSchema.extend({
  params: z.array(z.unknown()).default([]),
  limit: limit.default(DEFAULT_ROW_LIMIT),
  timeout_ms: timeout.default(DEFAULT_QUERY_TIMEOUT_MS),
});

/**
 * Runs one parameterised query on a data source (docs/data-sources.md). The worker resolves the
 * data source by id or name among the flow owner's, so its address and password never enter the
 * flow, Temporal history or the logs; values reach the database only as bound parameters.
 */
export const sqlNode = defineNode({
  type: 'sql',
  aliases: ['sql-query', 'database-query'],
  name: 'SQL Query',
  category: 'data',
  description:
    'Runs one statement (`query`, with $1… placeholders on PostgreSQL and ? on MySQL and SQLite, filled from `params` ' +
    'after their templates are rendered) on the postgresql, mysql or sqlite data source named in `data_source`, and outputs ' +
    'the rows as `result`. Read-only sources refuse writes in the database itself. At most `limit` rows (default 1,000, ' +
    'at most 10,000; `truncated` says more existed) within `timeout_ms`. SQL errors and writes refused by a read-only ' +
    'source fail at once; connection failures are retried.',
  kind: 'activity',
  ports: ['default'],
  dataSchema,
  renderedSchema,
  // The SQL text is never rendered: values go through `params`, so a template cannot inject SQL.
  rawFields: ['query'],
  outputSchema: z.object({
    result: z.array(z.record(z.unknown())).describe('The rows, at most `limit`'),
    row_count: z.number().int().describe('Rows returned, or rows changed by a write'),
    columns: z.array(z.string()).describe('Column names, in order'),
    truncated: z.boolean().describe('Whether the query had more rows than `limit`'),
  }),
  defaults: {
    timeout_ms: MAX_QUERY_TIMEOUT_MS + 30_000,
    retry: { max_attempts: 3, initial_interval_ms: 1_000, backoff_coefficient: 2 },
    // The wrapper heartbeats every second while the query runs.
    heartbeat_ms: NETWORK_HEARTBEAT_TIMEOUT_MS,
  },
  example: {
    data_source: 'warehouse',
    query: 'select id, name from devices where floor = $1',
    params: ['{{ input.floor }}'],
    limit: DEFAULT_ROW_LIMIT,
    timeout_ms: DEFAULT_QUERY_TIMEOUT_MS,
  },
  exampleOutput: { result: [{ id: 7, name: 'hvac-2' }, { id: 9, name: 'door-1' }], row_count: 2, columns: ['id', 'name'], truncated: false },
  async execute(data, ctx) {
    const started = Date.now();
    const res = await ctx.services.dataSources.query(
      ctx.ownerId,
      data.data_source,
      { query: data.query, params: data.params, limit: Math.min(data.limit, MAX_ROW_LIMIT), timeoutMs: data.timeout_ms, signal: ctx.signal },
      SQL_DATA_SOURCE_TYPES,
    );
    const row_count = res.affectedRows ?? res.rows.length;
    const duration_ms = Date.now() - started;
    // Never the query's values: counts and timing only.
    ctx.log('info', `sql on ${res.dataSource.type} "${res.dataSource.name}" → ${row_count} row(s)${res.truncated ? ' (truncated)' : ''} in ${duration_ms} ms`, {
      data_source: res.dataSource.id,
      row_count,
      truncated: res.truncated,
      duration_ms,
    });
    return { output: { result: res.rows, row_count, columns: res.columns, truncated: res.truncated } };
  },
});
