import type { Express } from 'express';
import { requirementOf, type AuthRequirement } from './auth-requirement';
import type { Scope } from './principal';

/** HTTP methods the route table reports (lower case, as OpenAPI keys them). */
export type RouteMethod = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options';

/** One route of the application. */
export interface RouteInfo {
  method: RouteMethod;
  /** OpenAPI-style path: `/api/v1/workflows/{id}`. */
  path: string;
  /** The scope the route requires (the innermost one when several apply); null when none. */
  scope: Scope | null;
  /** Every scope required on the way to the handler, outermost first. */
  scopes: Scope[];
  /** Whether credentials are required (false: public). */
  authenticated: boolean;
  /** A login session (JWT) satisfies the route even without {@link scope}. */
  sessionSuffices: boolean;
}

interface Layer {
  handle: unknown;
  rawPath?: unknown;
  slash?: boolean;
  method?: string;
  route?: { path: unknown; methods: Record<string, boolean>; stack: Layer[] };
}

interface Chain {
  prefix: string;
  requirements: AuthRequirement[];
}

const METHODS = new Set<RouteMethod>(['get', 'post', 'put', 'patch', 'delete', 'head', 'options']);

/**
 * Expands an Express 5 path (`/:id`, `/*rest`, optional `{/:x}` groups) into OpenAPI paths
 * (`/{id}`), one per combination of optional groups.
 */
export function toOpenApiPaths(expressPath: string): string[] {
  const open = expressPath.indexOf('{');
  if (open === -1) return [expressPath.replace(/[:*]([A-Za-z_$][\w$]*)/g, '{$1}')];
  let depth = 0;
  let close = -1;
  for (let i = open; i < expressPath.length; i++) {
    if (expressPath[i] === '{') depth++;
    else if (expressPath[i] === '}' && --depth === 0) {
      close = i;
      break;
    }
  }
  if (close === -1) throw new Error(`unbalanced optional group in route path ${expressPath}`);
  const before = expressPath.slice(0, open);
  const inner = expressPath.slice(open + 1, close);
  const after = expressPath.slice(close + 1);
  return [...toOpenApiPaths(before + after), ...toOpenApiPaths(before + inner + after)];
}

function join(prefix: string, p: string): string {
  const joined = `${prefix}/${p}`.replace(/\/{2,}/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

function pathsOf(raw: unknown, where: string): string[] {
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw)) return raw.flatMap((p) => pathsOf(p, where));
  throw new Error(`route table: ${where} is mounted on a RegExp path (${String(raw)}); use a string path`);
}

/** Whether a middleware mounted on `mount` within the router at `prefix` runs for the full path `target`. */
function applies(prefix: string, mount: string, target: string): boolean {
  if (mount === '/' || mount === '') return true;
  const base = join(prefix, mount);
  const pattern = base
    .split(/[:*][A-Za-z_$][\w$]*/)
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${pattern}(/|$)`).test(target);
}

function summarise(method: RouteMethod, path: string, requirements: AuthRequirement[]): RouteInfo {
  const scopes = requirements.flatMap((r) => (r.scope ? [r.scope] : []));
  return {
    method,
    path,
    scope: scopes.at(-1) ?? null,
    scopes,
    authenticated: requirements.some((r) => r.authenticates || r.scope),
    sessionSuffices: requirements.some((r) => r.sessionSuffices),
  };
}

type Active = { mounts: string[]; requirement: AuthRequirement }[];

function inheritedBy(active: Active, prefix: string, target: string): AuthRequirement[] {
  return active.filter((a) => a.mounts.some((m) => applies(prefix, m, target))).map((a) => a.requirement);
}

function walk(stack: Layer[], chain: Chain, out: RouteInfo[]): void {
  const active: Active = [];
  for (const layer of stack) {
    if (layer.route) {
      const route = layer.route;
      for (const expressPath of pathsOf(route.path, 'a route')) {
        const full = join(chain.prefix, expressPath);
        const inherited = inheritedBy(active, chain.prefix, full);
        for (const method of Object.keys(route.methods)) {
          if (!METHODS.has(method as RouteMethod)) continue;
          const own = route.stack
            .filter((l) => l.method === undefined || l.method === method)
            .flatMap((l) => {
              const r = requirementOf(l.handle);
              return r ? [r] : [];
            });
          for (const path of toOpenApiPaths(full)) {
            out.push(summarise(method as RouteMethod, path, [...chain.requirements, ...inherited, ...own]));
          }
        }
      }
      continue;
    }
    const mounts = layer.slash ? ['/'] : pathsOf(layer.rawPath ?? '/', 'a middleware');
    const nested = (layer.handle as { stack?: Layer[] } | null)?.stack;
    if (Array.isArray(nested)) {
      for (const mount of mounts) {
        const prefix = join(chain.prefix, mount);
        const inherited = inheritedBy(active, chain.prefix, prefix);
        walk(nested, { prefix, requirements: [...chain.requirements, ...inherited] }, out);
      }
      continue;
    }
    const requirement = requirementOf(layer.handle);
    if (requirement) active.push({ mounts, requirement });
  }
}

/**
 * Every route of `app`, found by walking the Express 5 router stack (mounted routers included),
 * with the authentication and scope its middleware chain requires — read from the tags that
 * `createAuthenticate` and `requireScope` put on the middleware they return. Sorted by path, then
 * method. Static-file and other non-route middleware is not listed.
 */
export function listRoutes(app: Express): RouteInfo[] {
  const router = (app as unknown as { router: { stack: Layer[] } }).router;
  const out: RouteInfo[] = [];
  walk(router.stack, { prefix: '', requirements: [] }, out);
  const seen = new Set<string>();
  return out
    .filter((r) => {
      const key = `${r.method} ${r.path}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => (a.path === b.path ? a.method.localeCompare(b.method) : a.path.localeCompare(b.path)));
}
