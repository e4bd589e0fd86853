import type { AnyZodObject, ZodTypeAny } from 'zod';
import type { RouteMethod } from '../route-table';

/** One documented response. */
export interface ResponseDoc {
  description: string;
  /** JSON body (omit for an empty body). */
  schema?: ZodTypeAny;
  /** Default `application/json`. */
  contentType?: string;
}

/**
 * The documentation of one operation. Authentication, scope and the standard error responses
 * are not written here: the generator derives them from the route table, so they cannot drift.
 */
export interface OperationDoc {
  method: RouteMethod;
  /** OpenAPI-style full path, as `listRoutes` reports it: `/api/v1/workflows/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** Path parameters; by default every `{name}` of the path is a string. */
  params?: AnyZodObject;
  query?: AnyZodObject;
  headers?: AnyZodObject;
  body?: {
    schema: ZodTypeAny;
    /** Used by Swagger UI's "try it out" and by the authorization-matrix test. */
    example?: unknown;
    /** Default `['application/json']`. */
    contentTypes?: string[];
    /** Default true. */
    required?: boolean;
  };
  /** Success responses by status. */
  responses: Record<number, ResponseDoc>;
  /** Error statuses beyond those derived from the route (e.g. 409, 503). */
  errors?: number[];
}
