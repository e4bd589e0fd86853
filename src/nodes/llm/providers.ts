import { credentialData } from '../credentials';
import { NodeError, type NodeContext } from '../node-definition';
import { isTemplate } from '../schema-helpers';

/** An OpenAI-compatible provider a node may name in `provider`. */
export interface LlmProvider {
  base_url: string;
  /** Used when neither the node nor its credential names a model. */
  default_model?: string;
  /** Whether calls need an API key (a local server does not). */
  needs_key: boolean;
}

/**
 * The providers a node may name (seed 001's `provider`), and the base URL each maps to. Any other
 * OpenAI-compatible server is named by its base URL instead (`"provider": "https://llm.internal/v1"`).
 * Documented in docs/nodes.md ("llm"): keep the two in step.
 */
export const LLM_PROVIDERS: Readonly<Record<string, LlmProvider>> = Object.freeze({
  openai: { base_url: 'https://api.openai.com/v1', default_model: 'gpt-4o-mini', needs_key: true },
  deepseek: { base_url: 'https://api.deepseek.com/v1', default_model: 'deepseek-chat', needs_key: true },
  qwen: { base_url: 'https://dashscope.aliyuncs.com/compatible-mode/v1', default_model: 'qwen-plus', needs_key: true },
  ollama: { base_url: 'http://localhost:11434/v1', needs_key: false },
});

/** Names of {@link LLM_PROVIDERS}, sorted. */
export const LLM_PROVIDER_NAMES = Object.keys(LLM_PROVIDERS).sort();

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** Why `provider` is not acceptable as written (a known name, an http(s) base URL or a template); undefined when it is. */
export function providerProblem(provider: string): string | undefined {
  if (isTemplate(provider) || isHttpUrl(provider) || Object.hasOwn(LLM_PROVIDERS, provider.trim().toLowerCase())) return undefined;
  return `Unknown provider "${provider.slice(0, 100)}": use one of ${LLM_PROVIDER_NAMES.join(', ')} or an OpenAI-compatible base URL (http or https)`;
}

/** Where one model call goes and with which key. */
export interface LlmEndpoint {
  baseUrl: string;
  apiKey?: string;
  model: string;
  organization?: string;
}

/** The part of a node's data that chooses the endpoint. */
export interface EndpointChoice {
  provider?: string;
  model?: string;
}

/**
 * Chooses the endpoint of a model call (docs/nodes.md, "llm"):
 *
 * - with an `openai` credential: its `base_url`, else the provider's, else `LLM_BASE_URL`; its key;
 * - without one: a provider given as a URL is called without a key; otherwise the deployment's
 *   endpoint (`LLM_BASE_URL` with `LLM_API_KEY`) serves the node, and a named provider's URL is
 *   used (without a key) only when `LLM_BASE_URL` is unset.
 *
 * The deployment's key therefore only ever goes to `LLM_BASE_URL`, and a credential's key to the
 * URL its owner chose. The model is the node's, the credential's, the named provider's default
 * (with a credential, or when the call goes to the provider) or `LLM_MODEL`.
 * @throws NodeError (non-retryable) when no base URL can be found, or a provider needs a key none gave
 */
export function resolveEndpoint(choice: EndpointChoice, ctx: Pick<NodeContext, 'credential' | 'services'>): LlmEndpoint {
  const settings = ctx.services.llm;
  const credential = ctx.credential();
  const openai = credentialData(credential, 'openai');
  const raw = choice.provider?.trim();
  const named = raw ? LLM_PROVIDERS[raw.toLowerCase()] : undefined;
  const providerUrl = named?.base_url ?? (raw && isHttpUrl(raw) ? raw : undefined);
  if (raw && !providerUrl) throw new NodeError(providerProblem(raw)!, { retryable: false, type: 'InvalidConfig' });

  let baseUrl: string | undefined;
  let apiKey: string | undefined;
  let viaProvider = false;
  if (openai) {
    baseUrl = openai.base_url ?? providerUrl ?? settings.baseUrl;
    viaProvider = !openai.base_url && Boolean(providerUrl);
    apiKey = openai.api_key;
  } else if (providerUrl && (!named || !settings.baseUrl)) {
    baseUrl = providerUrl;
    viaProvider = true;
    if (named?.needs_key) {
      throw new NodeError(
        `provider "${raw}" needs an API key: name an openai credential in "credential" (LLM_API_KEY is only sent to LLM_BASE_URL)`,
        { retryable: false, type: 'LlmNotConfigured' },
      );
    }
  } else {
    baseUrl = settings.baseUrl;
    apiKey = settings.apiKey;
  }
  if (!baseUrl) {
    const message = credential
      ? `credential "${credential.name}" has no base_url and LLM_BASE_URL is not configured`
      : 'LLM_BASE_URL is not configured';
    throw new NodeError(message, { retryable: false, type: 'LlmNotConfigured' });
  }
  // A credential's key is for the provider the node names, wherever its base_url points (a proxy).
  const model = choice.model ?? openai?.model ?? (viaProvider || openai ? named?.default_model : undefined) ?? settings.model;
  return { baseUrl, apiKey, model, organization: openai?.organization };
}
