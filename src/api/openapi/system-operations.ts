import type { OperationDoc } from './operation-doc';
import { componentHealth, nodeType, pageQuery } from './schemas';
import { z } from './zod';

const health = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string().openapi({ description: "the platform's version (package.json)", example: '0.1.0' }),
    api: componentHealth,
    database: componentHealth,
    temporal: componentHealth,
  })
  .openapi('Health');

/** Health, the node catalogue and the documentation itself. */
export const systemOperations: OperationDoc[] = [
  {
    method: 'get',
    path: '/health',
    tag: 'system',
    summary: 'Health of the API, the database and Temporal',
    responses: {
      200: { description: 'every component is up', schema: health },
      503: { description: 'a component is down (`status: degraded`)', schema: health },
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'system',
    summary: 'This document (OpenAPI 3.1)',
    responses: { 200: { description: 'the OpenAPI document', schema: z.record(z.unknown()) } },
  },
  {
    method: 'get',
    path: '/docs',
    tag: 'system',
    summary: 'Swagger UI over this document',
    responses: {
      200: { description: 'the Swagger UI page', contentType: 'text/html' },
      301: { description: 'redirect from `/docs` to `/docs/`' },
    },
  },
  {
    method: 'get',
    path: '/redoc',
    tag: 'system',
    summary: 'ReDoc over this document',
    responses: { 200: { description: 'the ReDoc page', contentType: 'text/html' } },
  },
  {
    method: 'get',
    path: '/api/v1/node-types',
    tag: 'node-types',
    summary: 'The node catalogue',
    query: pageQuery.extend({ limit: z.coerce.number().int().min(1).max(100).default(100) }),
    responses: {
      200: {
        description: 'a page of node types (all of them by default)',
        schema: z
          .object({
            items: z.array(nodeType),
            node_types: z.array(nodeType).openapi({ description: 'the same types as `items` (the seeds name the list `node_types`)' }),
            total: z.number().int(),
            skip: z.number().int(),
            limit: z.number().int(),
          })
          .openapi('NodeTypePage'),
      },
    },
  },
  {
    method: 'get',
    path: '/api/v1/node-types/{type}',
    tag: 'node-types',
    summary: 'One node type',
    params: z.object({ type: z.string() }),
    responses: { 200: { description: 'the node type', schema: nodeType } },
  },
];
