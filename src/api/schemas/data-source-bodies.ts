/**
 * Request bodies and queries of the data source routes (`/data-sources`), as zod schemas: the
 * routes parse with them and the OpenAPI document shows them. Each type's `config` is checked by
 * the service (src/services/data-sources/data-source-config.ts), which knows its secret fields.
 */
import { z } from 'zod';
import { DATA_SOURCE_STATUSES, DATA_SOURCE_TYPES } from '../../storage/repositories/data-sources';
import { MAX_QUERY_TIMEOUT_MS, MAX_ROW_LIMIT } from '../../nodes/data-sources';

const fields = {
  name: z.string().trim().min(1).max(255).describe('unique among your data sources'),
  type: z.enum(DATA_SOURCE_TYPES),
  description: z.string().max(5000).nullable().describe('free text'),
  config: z
    .record(z.unknown())
    .describe('settings of the type (docs/data-sources.md); secret fields (`password`, api `headers`) are stored sealed and never shown'),
  read_only: z.boolean().describe('default true: the database refuses writes (read-only transaction or file)'),
};

/** `POST /data-sources`. */
export const dataSourceCreateBody = z.object({
  name: fields.name,
  type: fields.type,
  description: fields.description.optional(),
  config: fields.config,
  read_only: fields.read_only.optional(),
});

/**
 * `PUT` and `PATCH /data-sources/{id}`: any of the fields. PUT replaces `config` (secrets it does
 * not mention stay), PATCH merges it key by key (null removes a key).
 */
export const dataSourceUpdateBody = dataSourceCreateBody.partial();

/** `GET /data-sources`. */
export const dataSourceListQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  type: z.enum(DATA_SOURCE_TYPES).optional(),
  status: z.enum(DATA_SOURCE_STATUSES).optional(),
});

/** `POST /data-sources/{id}/query`. */
export const dataSourceQueryBody = z.object({
  query: z
    .string()
    .max(100_000)
    .describe('SQL ($1… on PostgreSQL, ? on MySQL and SQLite); a path and query string for api; JSONata over `data` for json'),
  params: z.array(z.unknown()).max(1000).optional().describe('values of the placeholders, sent apart from the SQL'),
  limit: z.number().int().min(1).optional().describe(`rows at most; default 1000, capped to ${MAX_ROW_LIMIT}`),
  timeout_ms: z.number().int().min(1).max(MAX_QUERY_TIMEOUT_MS).optional().describe('statement timeout; default 30000'),
});
