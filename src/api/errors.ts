/** Error codes of the API's error body (DESIGN §2). */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
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
/** 403: authenticated but not allowed. */
export const forbidden = (message: string) => new ApiError(403, 'FORBIDDEN', message);
/** 404: not found, or not the caller's. */
export const notFound = (what: string) => new ApiError(404, 'NOT_FOUND', `${what} not found`);
/** 409: the resource's state does not allow this. */
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new ApiError(409, 'CONFLICT', message, details);
/** 422: well-formed but invalid; `details` maps each problem's path to its message. */
export const unprocessable = (message: string, details: Record<string, unknown>) =>
  new ApiError(422, 'VALIDATION_ERROR', message, details);
/** 503: Temporal cannot be reached. */
export const temporalUnavailable = (message: string) => new ApiError(503, 'TEMPORAL_UNAVAILABLE', message);
