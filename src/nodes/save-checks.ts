/**
 * Checks of one node that only saving a flow runs (not compiling a run, so runs of stored flows
 * start as before): mistakes that would otherwise surface only when a run reaches the node.
 */
import vm from 'node:vm';
import Ajv, { type ErrorObject } from 'ajv';
import { didYouMean } from '../shared/did-you-mean';
import { hasTemplate } from '../shared/template-syntax';
import { LLM_PROVIDERS } from './llm/providers';
import { refusalBeforeLookup } from './net/address-guard';
import type { CheckedNode } from './validate-node';
import { keyPath, type Report } from './validation-issue';

/** What the deployment offers, which decides whether some nodes can run at all. */
export interface SaveCheckOptions {
  /** `HTTP_ALLOWED_HOSTS`: private addresses HTTP-calling nodes may reach. */
  httpAllowedHosts: readonly string[];
  /** Whether `LLM_BASE_URL` is set (llm and agent nodes without a credential use it). */
  llmConfigured: boolean;
  /** Whether `SMTP_URL` is set (email-send nodes without a credential use it). */
  smtpConfigured: boolean;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// The options start input checks use (src/services/input-schema.ts): a schema valid here is valid there.
const ajv = new Ajv({ allErrors: true, strict: false });

/**
 * Every save-time check of one node (loop body nodes included) at `path`: `code` that does not
 * parse and an `input_schema` that is no JSON Schema are errors; a literal URL the address guard
 * will refuse, or an llm, agent or email-send node with neither a credential nor the deployment's
 * endpoint, are warnings (the deployment may change; the flow stays savable).
 */
export function checkNodeForSave(checked: CheckedNode, path: string, options: SaveCheckOptions, error: Report, warn: Report): void {
  const data = checked.data;
  if (!data) return;
  const dp = `${path}.data`;
  if (isObject(data.input_schema)) checkInputSchema(data.input_schema, `${dp}.input_schema`, error);
  switch (checked.def?.type) {
    case 'code':
      if (typeof data.code === 'string' && data.code.trim() !== '') {
        const problem = codeSyntaxError(data.code);
        if (problem) error(`${dp}.code`, 'CODE_SYNTAX_ERROR', problem);
      }
      break;
    case 'http-request':
      if (typeof data.url === 'string') checkUrl(data.url, `${dp}.url`, options, warn);
      break;
    case 'llm':
    case 'agent':
      if (checked.parsed && !options.llmConfigured) checkLlmEndpoint(checked.parsed, path, warn);
      break;
    case 'email-send':
      if (checked.parsed && !options.smtpConfigured && !named(checked.parsed.credential)) {
        warn(path, 'SMTP_NOT_CONFIGURED', 'SMTP_URL is not configured and this node names no smtp credential: runs fail at this node');
      }
      break;
  }
}

const named = (value: unknown) => typeof value === 'string' && value.trim() !== '';

/**
 * Whether `code` parses as the body of the async function the code node runs it in, by V8's
 * rules (the sandbox's QuickJS follows the same standard). A message with the line and column in
 * `code`, or undefined when it parses.
 */
export function codeSyntaxError(code: string): string | undefined {
  // The body starts on a line of its own, so the line numbers are the code's plus one.
  try {
    new vm.Script(`(async function (input, context) {\n${code}\n})`, { filename: 'code.js' });
    return undefined;
  } catch (err) {
    if (!(err instanceof SyntaxError)) return `Code does not compile: ${(err as Error).message}`;
    // Node prefixes a syntax error's stack with `code.js:<line>`, the line and a caret under the token.
    const [header, , caret] = (err.stack ?? '').split('\n');
    const at = /^code\.js:(\d+)$/.exec(header ?? '');
    if (!at) return `SyntaxError: ${err.message}`;
    const lines = code.split('\n');
    const line = Number(at[1]) - 1;
    // Past the code, on the wrapper's closing line: the code ended while something was still open.
    if (line > lines.length) {
      const last = lines.length;
      return `SyntaxError: Unexpected end of code, a brace, bracket, string or comment is not closed (line ${last}, column ${lines[last - 1].length + 1})`;
    }
    // No caret when the offending token runs to the end (an unclosed comment): the line alone then.
    const column = caret?.includes('^') ? `, column ${caret.indexOf('^') + 1}` : '';
    return `SyntaxError: ${err.message} (line ${line}${column})`;
  }
}

/** Errors of an `input_schema` that is not a JSON Schema, each at its own path inside the schema. */
function checkInputSchema(schema: Obj, path: string, error: Report): void {
  const at = (instancePath: string) =>
    instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<string>((p, s) => keyPath(p, /^\d+$/.test(s) ? Number(s) : s), path);
  let valid: boolean;
  try {
    valid = ajv.validateSchema(schema) as boolean;
  } catch (err) {
    error(path, 'INVALID_INPUT_SCHEMA', `Not a JSON Schema this platform reads: ${(err as Error).message}`);
    return;
  }
  if (!valid) {
    // Several errors at one path (a keyword failing every branch of the meta-schema's anyOf) say the same thing: the first is enough.
    const seen = new Set<string>();
    for (const e of ajv.errors ?? []) {
      const p = at(e.instancePath);
      if (seen.has(p)) continue;
      seen.add(p);
      error(p, 'INVALID_INPUT_SCHEMA', schemaMessage(e, schema));
    }
    return;
  }
  try {
    ajv.compile(schema);
  } catch (err) {
    error(path, 'INVALID_INPUT_SCHEMA', `Not a usable JSON Schema: ${(err as Error).message}`);
  }
}

function schemaMessage(e: ErrorObject, schema: Obj): string {
  const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
  if (e.keyword !== 'enum' || !Array.isArray(allowed)) return e.message ?? 'invalid';
  const value = e.instancePath.split('/').slice(1).reduce<unknown>((v, s) => (isObject(v) || Array.isArray(v) ? (v as Obj)[s] : undefined), schema);
  const hint = typeof value === 'string' ? didYouMean(value, allowed.map(String)) : '';
  return `${e.message}: ${allowed.join(', ')}${hint}`;
}

/** The URL a run will call, as far as it is known before rendering: the whole literal, or the scheme and host before a template. */
function knownUrl(url: string): URL | undefined {
  let text = url.trim();
  if (hasTemplate(text)) {
    const host = /^[a-z][a-z0-9+.-]*:\/\/(\[[^\]]*\]|[^/?#:[{]+)[/?#:]/i.exec(text.slice(0, text.indexOf('{{')));
    if (!host) return undefined;
    text = `${host[0].slice(0, -1)}/`;
  }
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function checkUrl(url: string, path: string, options: SaveCheckOptions, warn: Report): void {
  const parsed = knownUrl(url);
  if (!parsed) {
    if (!hasTemplate(url)) warn(path, 'INVALID_URL', `"${url.slice(0, 200)}" is not a URL: runs fail at this node`);
    return;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    warn(path, 'INVALID_URL', `Unsupported URL scheme "${parsed.protocol}": only http: and https: are allowed`);
    return;
  }
  const refusal = refusalBeforeLookup(parsed, options.httpAllowedHosts);
  if (refusal) warn(path, 'ADDRESS_BLOCKED', refusal);
}

/** An llm or agent node (without LLM_BASE_URL): fine with a credential or a provider that needs no key. */
function checkLlmEndpoint(data: Obj, path: string, warn: Report): void {
  if (named(data.credential)) return;
  const provider = typeof data.provider === 'string' ? data.provider.trim() : undefined;
  if (provider && (hasTemplate(provider) || /^https?:\/\//i.test(provider))) return;
  const known = provider ? LLM_PROVIDERS[provider.toLowerCase()] : undefined;
  if (known && !known.needs_key) return;
  warn(
    path,
    'LLM_NOT_CONFIGURED',
    known
      ? `Provider "${provider}" needs an API key and this node names no openai credential (LLM_BASE_URL is not configured either): runs fail at this node`
      : 'LLM_BASE_URL is not configured and this node names no openai credential (nor a provider): runs fail at this node',
  );
}
