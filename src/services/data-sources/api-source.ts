import type { DataSourceQuery, DataSourceResult } from '../../nodes/data-sources';
import { MAX_REDIRECTS, MAX_RESPONSE_BYTES } from '../../nodes/net/http-call';
import { httpStatusError } from '../../nodes/net/http-errors';
import { guardedRequest, redactUrl, responseText, type GuardedResponse } from '../../nodes/net/guarded-request';
import { NodeError } from '../../nodes/node-error';
import { jsonRows } from './driver';

/** An `api` data source as it is queried: its base URL and the headers sent with every request. */
export interface ApiSettings {
  baseUrl: string;
  /** Lower-case names; secret values (inline headers, the credential's header). */
  headers: Record<string, string>;
}

function invalidQuery(message: string): NodeError {
  return new NodeError(message, { retryable: false, type: 'InvalidQuery' });
}

/**
 * The URL a query reaches: `query` is a path (and query string) below the base URL's path, e.g.
 * `/users?active=true` under `https://api.example.com/v1` → `https://api.example.com/v1/users?active=true`.
 * Absolute URLs and paths that climb out of the base path (`/../admin`) are refused.
 */
export function apiUrl(baseUrl: string, query: string): URL {
  const base = new URL(baseUrl);
  const q = query.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(q) || q.startsWith('//') || q.includes('\\')) {
    throw invalidQuery('The query of an api data source is a path below its base URL, not a URL');
  }
  const cut = q.search(/[?#]/);
  const pathPart = cut < 0 ? q : q.slice(0, cut);
  const rest = cut < 0 ? '' : q.slice(cut);
  const basePath = base.pathname.replace(/\/+$/, '');
  const url = new URL(base.origin);
  url.pathname = `${basePath}/${pathPart.replace(/^\/+/, '')}`;
  url.search = rest.startsWith('?') ? rest.replace(/#.*$/, '') : base.search;
  if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) {
    throw invalidQuery(`The path must stay below ${basePath || '/'}`);
  }
  return url;
}

async function get(settings: ApiSettings, url: URL, timeoutMs: number, allowedHosts: readonly string[], signal?: AbortSignal): Promise<GuardedResponse> {
  return guardedRequest({
    method: 'GET',
    url,
    headers: { 'user-agent': 'temporal-flows', accept: 'application/json, text/plain;q=0.9, */*;q=0.8', ...settings.headers },
    allowedHosts,
    timeoutMs,
    signal,
    // Redirects to another origin drop every header but a few harmless ones, secrets included.
    followRedirects: true,
    maxRedirects: MAX_REDIRECTS,
    maxResponseBytes: MAX_RESPONSE_BYTES,
  });
}

function parse(res: GuardedResponse): unknown {
  const text = responseText(res);
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Rows of an answer: the items of a JSON array (non-objects as `{value}`), else the answer as one row. */
export function rowsOf(value: unknown): Record<string, unknown>[] {
  const items = Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
  return items.map((v) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v }));
}

/** Column names in order of first appearance (the first 1,000 rows decide). */
export function columnsOf(rows: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const row of rows.slice(0, 1_000)) for (const k of Object.keys(row)) seen.add(k);
  return [...seen];
}

/** GETs `query` below the base URL through the private-address guard; the answer becomes rows. */
export async function queryApi(settings: ApiSettings, request: DataSourceQuery, allowedHosts: readonly string[]): Promise<DataSourceResult> {
  if (request.params.length) throw invalidQuery('An api data source takes no params: put values in the query string');
  const url = apiUrl(settings.baseUrl, request.query);
  const res = await get(settings, url, request.timeoutMs, allowedHosts, request.signal);
  if (res.status >= 400) throw httpStatusError(res, { method: 'GET' });
  const rows = rowsOf(parse(res));
  const truncated = rows.length > request.limit;
  const kept = jsonRows(truncated ? rows.slice(0, request.limit) : rows);
  return { rows: kept, columns: columnsOf(kept), truncated, affectedRows: null };
}

/** GETs the base URL: any answer but 401, 403 and 5xx counts as reachable. */
export async function testApi(settings: ApiSettings, allowedHosts: readonly string[]): Promise<string> {
  const url = new URL(settings.baseUrl);
  const res = await get(settings, url, 10_000, allowedHosts);
  if (res.status >= 500 || res.status === 401 || res.status === 403) throw httpStatusError(res, { method: 'GET' });
  return `Reachable: GET ${redactUrl(res.url)} answered ${res.status}`;
}
