import { DEFAULT_QUERY_TIMEOUT_MS, DEFAULT_ROW_LIMIT, MAX_QUERY_TIMEOUT_MS, MAX_ROW_LIMIT, SQL_DATA_SOURCE_TYPES } from '../data-sources';
import type { BuiltinTool } from './tool-context';

/**
 * The `sql_query` tool: one parameterised query on a data source of the flow's owner, through the
 * data source service the worker holds (`NodeServices.dataSources`), so the source's settings and
 * secrets never enter a tool call's input or history.
 */
export const sqlQueryTool: BuiltinTool = {
  description:
    'Runs one SQL query with parameters on a data source of yours (by id or name; PostgreSQL `$1`, MySQL and SQLite `?` placeholders) ' +
    'and returns {rows, columns, truncated, row_count}. Syntax errors and writes on read-only sources fail; connection failures are retried.',
  input_schema: {
    type: 'object',
    properties: {
      data_source: { type: 'string', minLength: 1, description: 'Id or name of one of your data sources' },
      query: { type: 'string', minLength: 1, description: 'SQL with placeholders for the params' },
      params: { type: 'array', description: 'Values of the placeholders, in order', default: [] },
      limit: { type: 'integer', minimum: 1, maximum: MAX_ROW_LIMIT, default: DEFAULT_ROW_LIMIT, description: 'Most rows returned' },
      timeout_ms: { type: 'integer', minimum: 1, maximum: MAX_QUERY_TIMEOUT_MS, default: DEFAULT_QUERY_TIMEOUT_MS },
    },
    required: ['data_source', 'query'],
    additionalProperties: false,
  },
  async run(input, ctx) {
    const out = await ctx.services.dataSources.query(
      ctx.ownerId,
      input.data_source,
      {
        query: input.query,
        params: input.params ?? [],
        limit: input.limit ?? DEFAULT_ROW_LIMIT,
        timeoutMs: input.timeout_ms ?? DEFAULT_QUERY_TIMEOUT_MS,
        signal: ctx.signal,
      },
      SQL_DATA_SOURCE_TYPES,
    );
    return { rows: out.rows, columns: out.columns, truncated: out.truncated, row_count: out.affectedRows ?? out.rows.length, data_source: out.dataSource.name };
  },
};
