import type { Approver } from '../shared/flow';
import { isAdmin, type Principal } from './principal';

/** The caller as an approver: the interpreter lets an `admin` role decide any approval. */
export function approverOf(p: Principal): Approver {
  return { id: p.user.id, username: p.user.username, role: isAdmin(p) ? 'admin' : 'user' };
}
