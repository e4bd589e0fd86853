import type { Request } from 'express';
import type { Actor } from '../services/actor';
import { unauthorized } from './errors';
import { isAdmin, type Principal } from './principal';

/** The authenticated principal of a request (401 when the route was reached without one). */
export function principalOf(req: Request): Principal {
  if (!req.principal) throw unauthorized();
  return req.principal;
}

/** The acting user and the owner filter to apply (none for admins). */
export function actorOf(req: Request): Actor {
  const p = principalOf(req);
  return { userId: p.user.id, ownerId: isAdmin(p) ? undefined : p.user.id };
}
