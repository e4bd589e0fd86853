import type { OperationDoc } from './operation-doc';
import { componentHealth, nodeType } from './schemas';
import { z } from './zod';

const health = z
  .object({ status: z.enum(['ok', 'degraded']), api: componentHealth, database: componentHealth, temporal: componentHealth })
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
    path: '/api/v1/node-types',
    tag: 'node-types',
    summary: 'The node catalogue',
    responses: { 200: { description: 'every node type', schema: z.array(nodeType) } },
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
