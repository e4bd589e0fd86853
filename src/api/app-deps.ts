import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Repos } from '../storage';
import type { ApprovalLinkService } from '../services/approval-links/link-service';
import type { AuditService } from '../services/audit-service';
import type { BatchService } from '../services/batch-service';
import type { MonitoringService } from '../services/monitoring-service';
import type { WebhookService } from '../services/webhooks/webhook-service';
import type { DataSourceService } from '../services/data-sources/data-source-service';
import type { CredentialService } from '../services/credentials/credential-service';
import type { EventService } from '../services/event-service';
import type { FlowService } from '../services/flow-service';
import type { HookService } from '../services/hook-service';
import type { Metrics } from '../services/metrics';
import type { RunService } from '../services/run-service';
import type { ScheduleService } from '../services/schedule-service';
import type { ToolService } from '../services/tools/tool-service';
import type { HealthCheck } from './routes/health';

/** Everything the API needs, built once at start-up (its own module so routers need not import the app). */
export interface AppDeps {
  config: Config;
  logger: Logger;
  repos: Repos;
  flows: FlowService;
  runs: RunService;
  schedules: ScheduleService;
  webhooks: WebhookService;
  approvalLinks: ApprovalLinkService;
  events: EventService;
  hooks: HookService;
  /** User-defined tools and the built-in ones (`/tools`). */
  tools: ToolService;
  dataSources: DataSourceService;
  credentials: CredentialService;
  health: HealthCheck;
  /** The audit trail (`/audit-logs`, written by the audit middleware). */
  audit: AuditService;
  /** Run statistics (`/monitoring`). */
  monitoring: MonitoringService;
  /** Many flows in one call (`/batch`). */
  batch: BatchService;
  /** Prometheus metrics (`GET /metrics`); absent: no metrics. */
  metrics?: Metrics;
}
