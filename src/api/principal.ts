/** Scopes an API key can carry; a JWT login carries all of them except `admin` (unless the user is an admin). */
export const SCOPES = ['read', 'write', 'execute', 'approve', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: set on `req.principal` by the authenticate middleware. */
export interface Principal {
  user: { id: string; username: string; email: string; role: 'user' | 'admin' };
  scopes: Scope[];
  via: 'jwt' | 'api_key';
  /** Id of the API key used, when `via` is `api_key`. */
  api_key_id?: string;
}

/**
 * Whether the caller acts as an admin (sees every owner's resources, may decide any approval): an
 * admin user whose credentials carry the `admin` scope. The one place this is decided.
 */
export function isAdmin(p: Principal): boolean {
  return p.user.role === 'admin' && p.scopes.includes('admin');
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      principal?: Principal;
    }
  }
}
