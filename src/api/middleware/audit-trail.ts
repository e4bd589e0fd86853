import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { AuditEntry, AuditService } from '../../services/audit-service';
import { AUDIT_RULES, fallbackRule, type AuditRule, type AuditSource } from '../audit-rules';
import { isAdmin } from '../principal';
import { clientIp } from './rate-limit';

/** An entry a route adds for one item of its work (a batch's flows), beside the request's own. */
export interface AuditItem {
  action: string;
  resource_type: string;
  resource_id: string | null;
  details?: Record<string, unknown>;
}

const ITEMS = Symbol('auditItems');
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Body values kept in `details`: identifiers and type names only. */
const SAFE_BODY_VALUE = /^[\w.:@-]{1,100}$/;

/** Adds entries for the items of this request's work; they are recorded when it succeeds. */
export function auditItems(res: Response, items: readonly AuditItem[]): void {
  const locals = res.locals as { [ITEMS]?: AuditItem[] };
  (locals[ITEMS] ??= []).push(...items);
}

/** The route pattern of a matched request in OpenAPI form (`/api/v1/workflows/{id}`). */
function routePath(req: Request): string | undefined {
  const path = req.route?.path;
  if (typeof path !== 'string') return undefined;
  const full = `${req.baseUrl}${path}`.replace(/\/$/, '') || '/';
  return full.replace(/[:*]([A-Za-z_$][\w$]*)/g, '{$1}');
}

function valueOf(source: AuditSource, req: Request, answer: unknown): unknown {
  const [kind, name] = source.split(':', 2) as ['param' | 'response' | 'body', string];
  if (kind === 'param') {
    const v = (req.params as Record<string, unknown> | undefined)?.[name];
    return typeof v === 'string' ? v.slice(0, 255) : undefined;
  }
  const from = kind === 'body' ? req.body : answer;
  if (typeof from !== 'object' || from === null || Array.isArray(from) || !Object.hasOwn(from, name)) return undefined;
  const v = (from as Record<string, unknown>)[name];
  if (kind === 'body') return typeof v === 'string' && SAFE_BODY_VALUE.test(v) ? v : undefined;
  if (typeof v === 'string') return v.slice(0, 255);
  return typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}

function entriesOf(req: Request, res: Response, answer: unknown, rule: AuditRule, route: string): AuditEntry[] {
  const p = req.principal;
  const id = rule.id ? valueOf(rule.id, req, answer) : undefined;
  const details: Record<string, unknown> = {};
  for (const [name, source] of Object.entries(rule.details ?? {})) {
    const v = valueOf(source, req, answer);
    if (v !== undefined) details[name] = v;
  }
  let actor: Pick<AuditEntry, 'actor_id' | 'actor_type' | 'actor_name' | 'via' | 'api_key_id'> & { owner_id?: string | null };
  if (p) {
    // A regular user acts on their own resources only; an admin's target may be someone else's.
    const admin = isAdmin(p);
    actor = {
      actor_id: p.user.id,
      actor_type: 'user',
      actor_name: p.user.username,
      via: p.via,
      api_key_id: p.api_key_id ?? null,
      ...(admin ? {} : { owner_id: p.user.id }),
    };
  } else if (rule.actor === 'new_user') {
    const userId = valueOf('response:id', req, answer);
    const name = valueOf('response:username', req, answer);
    actor = {
      actor_id: typeof userId === 'string' ? userId : null,
      actor_type: 'user',
      actor_name: typeof name === 'string' ? name : null,
      via: null,
      api_key_id: null,
      owner_id: typeof userId === 'string' ? userId : null,
    };
  } else {
    actor = { actor_id: null, actor_type: rule.actor ?? 'hook', actor_name: null, via: null, api_key_id: null };
  }
  const common = {
    ...actor,
    method: req.method,
    route,
    status_code: res.statusCode,
    request_id: typeof (req as { id?: unknown }).id === 'string' ? ((req as { id?: string }).id as string) : null,
    ip: clientIp(req).slice(0, 64),
  };
  const action = typeof rule.action === 'function' ? rule.action(req) : rule.action;
  const entries: AuditEntry[] = [
    {
      ...common,
      action,
      resource_type: rule.resource,
      resource_id: typeof id === 'string' ? id : null,
      details: Object.keys(details).length ? details : null,
    },
  ];
  for (const item of (res.locals as { [ITEMS]?: AuditItem[] })[ITEMS] ?? []) {
    entries.push({ ...common, action: item.action, resource_type: item.resource_type, resource_id: item.resource_id, details: item.details ?? null });
  }
  return entries;
}

/**
 * The one place the audit trail is written (docs/api-audit.md): every request that is not a GET,
 * HEAD or OPTIONS and succeeds (status below 400) is recorded by its route's rule in
 * `AUDIT_RULES`, before the answer is sent, so a client never sees a change that the trail
 * lacks. Entries hold ids, names and the route pattern; no request body, query string or path
 * value that a rule does not pick (a decision link's token is in its path). A failed write is
 * logged and the answer still goes out: the change has already been made.
 */
export function auditTrail(audit: AuditService, logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (READS.has(req.method)) return next();
    let answer: unknown;
    const json = res.json;
    res.json = function auditedJson(this: Response, value: unknown) {
      answer = value;
      return json.call(this, value);
    };
    const end = res.end as (...args: unknown[]) => Response;
    let ending = false;
    res.end = function auditedEnd(this: Response, ...args: unknown[]): Response {
      const route = routePath(req);
      if (ending || res.statusCode >= 400 || route === undefined) return end.apply(this, args);
      ending = true;
      const key = `${req.method} ${route}`;
      const rule = Object.hasOwn(AUDIT_RULES, key) ? AUDIT_RULES[key] : fallbackRule(req.method, route);
      if (!rule) return end.apply(this, args);
      let entries: AuditEntry[];
      try {
        entries = entriesOf(req, res, answer, rule, route);
      } catch (err) {
        logger.error({ err, req_id: (req as { id?: unknown }).id }, 'could not build the audit entry');
        return end.apply(this, args);
      }
      let written: Promise<void>;
      try {
        written = audit.record(entries);
      } catch (err) {
        written = Promise.reject(err);
      }
      written
        .catch((err) => logger.error({ err, req_id: (req as { id?: unknown }).id, action: entries[0]?.action }, 'could not write the audit entry'))
        .finally(() => end.apply(this, args));
      return this;
    } as Response['end'];
    next();
  };
}
