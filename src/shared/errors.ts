/**
 * Domain errors: what services (and the layers below them) throw when a request cannot be done.
 * They say what went wrong, not how to answer; the API's one error middleware maps each kind to
 * its HTTP status and the error body (docs/api.md). Bundle-safe: plain classes.
 */

/** Base of every domain error; `details` maps each problem's path (or a key) to what is wrong. */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The resource does not exist, or is not the caller's (never tell which). */
export class NotFound extends DomainError {}
/** The resource's state does not allow this (approval already decided, run not paused…). */
export class Conflict extends DomainError {}
/** The caller is known but not allowed. */
export class Forbidden extends DomainError {}
/** Well-formed but invalid (a flow graph, node data, input against a schema). */
export class Invalid extends DomainError {}
/** The request itself is malformed. */
export class BadRequest extends DomainError {}
/** A dependency (Temporal) cannot be reached now; the request may be retried. */
export class Unavailable extends DomainError {}
/** Something that existed once and is gone for good (a used or expired link). */
export class Gone extends DomainError {}
/** Missing or invalid credentials. */
export class Unauthenticated extends DomainError {}
/** Too much work waiting; `details.retry_after_s` says when to try again. */
export class Overloaded extends DomainError {}

/** {@link NotFound} for `what` ("workflow", "execution"…). */
export const notFound = (what: string) => new NotFound(`${what} not found`);
/** {@link Conflict}. */
export const conflict = (message: string, details?: Record<string, unknown>) => new Conflict(message, details);
/** {@link Forbidden}. */
export const forbidden = (message: string) => new Forbidden(message);
/** {@link Invalid}; `details` maps each problem's path to its message. */
export const unprocessable = (message: string, details: Record<string, unknown>) => new Invalid(message, details);
/** {@link Unavailable} for Temporal. */
export const temporalUnavailable = (message: string) => new Unavailable(message);
