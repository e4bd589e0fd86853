import type { RequestHandler } from 'express';
import type { Scope } from './principal';

/** What a middleware demands of the caller; the route table ({@link listRoutes}) reads it. */
export interface AuthRequirement {
  /** The middleware authenticates: 401 without valid credentials. */
  authenticates?: boolean;
  /** The scope it requires: 403 without it (and 401 when unauthenticated). */
  scope?: Scope;
  /** A login session (JWT) is enough even without {@link scope}. */
  sessionSuffices?: boolean;
}

// Symbol.for, so a second copy of this module (tests, tsx and dist mixed) still recognises the tag.
const REQUIREMENT = Symbol.for('temporal-flows.auth-requirement');

/** Marks `handler` with what it requires and returns it. */
export function tagRequirement<H extends RequestHandler>(handler: H, requirement: AuthRequirement): H {
  Object.defineProperty(handler, REQUIREMENT, { value: Object.freeze({ ...requirement }), enumerable: false });
  return handler;
}

/** The requirement `handler` was tagged with, if any. */
export function requirementOf(handler: unknown): AuthRequirement | undefined {
  if (typeof handler !== 'function') return undefined;
  return (handler as unknown as Record<symbol, AuthRequirement | undefined>)[REQUIREMENT];
}
