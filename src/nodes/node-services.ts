import { noCredentialProvider, type CredentialProvider } from './credentials';
import { noToolProvider, type ToolProvider } from './tools/tool-types';
import { noDataSourceProvider, type DataSourceProvider } from './data-sources';

/** The deployment's OpenAI-compatible endpoint (`LLM_*`), used by `llm` nodes that name no credential. */
export interface LlmSettings {
  baseUrl?: string;
  apiKey?: string;
  model: string;
}

/** The deployment's mail server (`SMTP_*`), used by `email-send` nodes that name no credential. */
export interface SmtpSettings {
  url?: string;
  from: string;
}

/**
 * Services and settings an executing node may use; built once per worker with
 * {@link createNodeServices}. To add a service: a field here, its default in `DEFAULTS` below.
 */
export interface NodeServices {
  /** Hosts / CIDRs that HTTP-calling nodes may reach despite the private-address guard. */
  httpAllowedHosts: string[];
  llm: LlmSettings;
  smtp: SmtpSettings;
  /** Looks up the credentials nodes name; the activity wrapper uses it, node types call `ctx.credential()`. */
  credentials: CredentialProvider;
  /** The owners' own tools (`/api/v1/tools`), for `tool-call` nodes and agents. */
  tools: ToolProvider;
  /** Runs queries on the owner's data sources (`sql` nodes); the worker's store keeps their secrets. */
  dataSources: DataSourceProvider;
}

/** What {@link createNodeServices} accepts: any field, settings objects field by field. */
export type NodeServicesInit = Partial<Omit<NodeServices, 'llm' | 'smtp'>> & {
  llm?: Partial<LlmSettings>;
  smtp?: Partial<SmtpSettings>;
};

/** Nothing configured: no allow-list, no LLM endpoint or mail server, no credentials. */
const DEFAULTS: NodeServices = {
  httpAllowedHosts: [],
  llm: { model: 'gpt-4o-mini' },
  smtp: { from: 'flows@localhost' },
  credentials: noCredentialProvider,
  tools: noToolProvider,
  dataSources: noDataSourceProvider,
};

/** Complete node services from the given ones and the defaults (settings objects merge field by field). */
export function createNodeServices(init: NodeServicesInit = {}): NodeServices {
  const { llm, smtp, ...rest } = init;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return {
    ...DEFAULTS,
    ...defined,
    llm: { ...DEFAULTS.llm, ...stripUndefined(llm) },
    smtp: { ...DEFAULTS.smtp, ...stripUndefined(smtp) },
  };
}

function stripUndefined<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
