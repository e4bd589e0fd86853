import { credentialData, resolveNodeCredential, type NodeCredential } from '../credentials';
import { NodeError } from '../node-definition';
import { callHttp, DEFAULT_REQUEST_TIMEOUT_MS } from '../net/http-call';
import { evaluateIsolated } from '../sandbox/expression-pool';
import { secretRedactor, type SecretRedactor } from '../secret-redactor';
import type { ToolContext } from './tool-context';
import { HTTP_TOOL_CREDENTIAL_TYPES, type UserTool } from './tool-types';

const TEMPLATE = /\{\{[\s\S]*?\}\}/g;
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** The header a credential adds (the same rules as the http-request node's). */
function credentialHeader(credential: NodeCredential): Record<string, string> {
  const header = credentialData(credential, 'http_header');
  if (header) return { [header.name.toLowerCase()]: header.value };
  const bearer = credentialData(credential, 'http_bearer');
  if (bearer) return { authorization: `Bearer ${bearer.token}` };
  const basic = credentialData(credential, 'http_basic');
  if (basic) return { authorization: `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}` };
  return {};
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text of a value put into a URL or header: strings as they are, null as nothing, the rest as JSON. */
function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * The tool's URL and headers with their `{{ }}` templates rendered over the input (its fields by
 * name, or `input.<field>`), evaluated isolated like a flow's heavy expressions. Values inserted
 * into a URL are URL-encoded, unless the template is the whole URL.
 */
async function renderRequest(tool: UserTool, input: unknown): Promise<{ url: string; headers: Record<string, string> }> {
  const { url, headers = {} } = tool.http;
  const urlTemplates = url.match(TEMPLATE) ?? [];
  const templatedHeaders = Object.values(headers).some((v) => v.includes('{{'));
  if (urlTemplates.length === 0 && !templatedHeaders) return { url, headers };
  const context = { ...(isPlainObject(input) ? input : {}), input };
  let rendered: { parts: unknown[]; headers: Record<string, unknown> };
  try {
    rendered = (await evaluateIsolated({ op: 'render', value: { parts: urlTemplates, headers }, context })) as typeof rendered;
  } catch (err) {
    throw new NodeError(`tool "${tool.name}": its url or headers could not be rendered: ${(err as Error).message}`, {
      retryable: false,
      type: 'ToolTemplateError',
    });
  }
  let i = 0;
  const whole = urlTemplates.length === 1 && url.trim() === urlTemplates[0];
  const finalUrl = whole ? asText(rendered.parts[0]) : url.replace(TEMPLATE, () => encodeURIComponent(asText(rendered.parts[i++])));
  const finalHeaders = Object.fromEntries(Object.entries(rendered.headers).map(([k, v]) => [k, asText(v)]));
  return { url: finalUrl, headers: finalHeaders };
}

function scrubbed(err: unknown, redact: SecretRedactor): unknown {
  if (!(err instanceof NodeError) || !redact.active) return err;
  return new NodeError(redact.text(err.message), { ...err.options, details: redact.value(err.options.details) });
}

/**
 * Runs a user-defined HTTP tool: its request with the input rendered into the URL and headers,
 * the input as the JSON body of POST, PUT and PATCH, and the header of its credential (resolved
 * among the owner's credentials, like a node's). Returns the parsed response body. The call
 * obeys the private-address guard and the http-request node's error rules; the credential's
 * secrets are scrubbed from what comes back, also when a server echoes them.
 */
export async function runHttpTool(tool: UserTool, input: unknown, ctx: ToolContext): Promise<unknown> {
  const { url, headers } = await renderRequest(tool, input);
  let extra: Record<string, string> = {};
  let redact = secretRedactor([]);
  if (tool.http.credential) {
    const resolved = await resolveNodeCredential(
      { type: `tool "${tool.name}"`, credentials: { types: [...HTTP_TOOL_CREDENTIAL_TYPES], required: true } },
      { credential: tool.http.credential },
      ctx.ownerId,
      ctx.services.credentials,
    );
    if (resolved) {
      extra = credentialHeader(resolved.credential);
      redact = secretRedactor(resolved.secrets);
    }
  }
  const method = tool.http.method;
  try {
    const out = await callHttp(
      {
        method,
        url,
        headers,
        body: WITH_BODY.has(method) ? input : undefined,
        timeout_ms: tool.http.timeout_ms ?? DEFAULT_REQUEST_TIMEOUT_MS,
        follow_redirects: true,
        response_type: 'auto',
      },
      ctx,
      extra,
    );
    return redact.value(out.result);
  } catch (err) {
    throw scrubbed(err, redact);
  }
}
