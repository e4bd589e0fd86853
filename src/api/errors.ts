import {
  BadRequest,
  Conflict,
  DomainError,
  Forbidden,
  Gone,
  Invalid,
  NotFound,
  Overloaded,
  Unauthenticated,
  Unavailable,
} from '../shared/errors';

export { conflict, forbidden, notFound, temporalUnavailable, unprocessable } from '../shared/errors';

/** Error codes of the API's error body (docs/api.md). */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'GONE'
  | 'PAYLOAD_TOO_LARGE'
  | 'VALIDATION_ERROR'
  | 'RATE_LIMITED'
  | 'TEMPORAL_UNAVAILABLE'
  | 'INTERNAL_ERROR';

/** A typed error that the error middleware turns into `{error: {code, message, details}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 400: malformed request. */
export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new ApiError(400, 'BAD_REQUEST', message, details);
/** 401: missing or invalid credentials. */
export const unauthorized = (message = 'authentication required') => new ApiError(401, 'UNAUTHORIZED', message);
/** How each kind of domain error is answered. */
const DOMAIN_ANSWERS: [new (...args: never[]) => DomainError, number, ErrorCode][] = [
  [NotFound, 404, 'NOT_FOUND'],
  [Conflict, 409, 'CONFLICT'],
  [Forbidden, 403, 'FORBIDDEN'],
  [Invalid, 422, 'VALIDATION_ERROR'],
  [BadRequest, 400, 'BAD_REQUEST'],
  [Unavailable, 503, 'TEMPORAL_UNAVAILABLE'],
  [Gone, 410, 'GONE'],
  [Unauthenticated, 401, 'UNAUTHORIZED'],
  [Overloaded, 429, 'RATE_LIMITED'],
];

/** The HTTP answer of an error the API knows (its own or a domain error); undefined otherwise. */
export function toApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (!(err instanceof DomainError)) return undefined;
  const [, status, code] = DOMAIN_ANSWERS.find(([kind]) => err instanceof kind) ?? [DomainError, 500, 'INTERNAL_ERROR'];
  return new ApiError(status, code, err.message, err.details);
}
