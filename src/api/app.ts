import express, { type Express } from 'express';
import type { AppDeps } from './app-deps';
import { errorHandler, notFoundHandler } from './middleware/error-handler';
import { createAuthenticate } from './middleware/authenticate';
import { apiRateCounter, createApiRateLimiter } from './middleware/api-rate-limit';
import { createApiDocsRouter } from './openapi/docs-router';
import { listRoutes } from './route-table';
import { createAuthRouter } from './routes/auth';
import { createWorkflowRouter } from './routes/workflows';
import { createWorkflowNodeRouter } from './routes/workflow-nodes';
import { createLiveSocketRouter } from './routes/live-sockets';
import { createExecutionRouter } from './routes/executions';
import { createNodeTypeRouter } from './routes/node-types';
import { createHealthRouter } from './routes/health';
import { createMetricsRouter, requestMetrics } from './routes/metrics';
import { createApprovalRouter } from './routes/approvals';
import { createNodeRouter } from './routes/nodes';
import { createScheduleRouter } from './routes/schedules';
import { createWebhookRouter } from './routes/webhooks';
import { createToolRouter } from './routes/tools';
import { createDataSourceRouter } from './routes/data-sources';
import { createCredentialRouter } from './routes/credentials';
import { createApprovalLinkRouter } from './routes/approval-links';
import { createEventRouter } from './routes/events';
import { createHookRotateRouter, createHookRouter } from './routes/hooks';
import { parseBodies } from './middleware/body';
import { queryToken } from './middleware/query-token';
import { requestLog } from './middleware/request-log';
import { installJsonResponse } from './json-response';
import { auditTrail } from './middleware/audit-trail';
import { createAuditLogRouter } from './routes/audit-logs';
import { createBatchRouter } from './routes/batch';
import { createMonitoringRouter } from './routes/monitoring';

/** Builds the Express application (routes are thin: validate → service → respond). */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  installJsonResponse(app);
  if (deps.metrics) app.use(requestMetrics(deps.metrics));
  app.use(requestLog(deps.logger, { quiet: ['/health', '/metrics'] }));
  // Every successful state change, through /api/v1 or /hooks, lands in the audit trail.
  app.use(auditTrail(deps.audit, deps.logger));
  const authenticate = createAuthenticate({ config: deps.config, repos: deps.repos });
  const api = express.Router();
  // Before body parsing, so 400 and 413 answers count and carry the X-RateLimit-* headers too.
  api.use(
    createApiRateLimiter({
      perMinute: deps.config.rateLimit.perMinute,
      authenticate,
      // Shared with the WebSocket endpoint, so socket upgrades spend the same budgets.
      counter: apiRateCounter(deps.config),
    }),
  );
  api.use(parseBodies(deps.config.bodyLimit));
  api.use('/auth', createAuthRouter({ config: deps.config, repos: deps.repos, logger: deps.logger, authenticate }));
  // Decision links are their own credential: no account needed (docs/api-webhooks.md).
  api.use('/approvals/links', createApprovalLinkRouter(deps));
  api.use(queryToken);
  api.use(authenticate);
  api.use('/workflows', createWorkflowRouter(deps));
  api.use('/workflows', createWorkflowNodeRouter(deps));
  api.use('/ws', createLiveSocketRouter(deps));
  api.use(createScheduleRouter(deps));
  api.use(createHookRotateRouter(deps));
  api.use('/events', createEventRouter(deps));
  api.use('/executions', createExecutionRouter(deps));
  api.use('/approvals', createApprovalRouter(deps));
  api.use('/webhooks', createWebhookRouter(deps));
  api.use('/tools', createToolRouter(deps));
  api.use('/data-sources', createDataSourceRouter(deps));
  api.use('/credentials', createCredentialRouter(deps));
  api.use('/nodes', createNodeRouter(deps));
  api.use('/node-types', createNodeTypeRouter());
  api.use('/batch', createBatchRouter(deps));
  api.use('/audit-logs', createAuditLogRouter(deps));
  api.use('/monitoring', createMonitoringRouter(deps));
  // The API first: every other path (health, docs) is off its hot path.
  app.use('/api/v1', api);
  // Inbound webhooks: authenticated by each flow's own hook credentials, not by /api/v1's.
  app.use('/hooks', createHookRouter(deps));
  app.use(createHealthRouter(deps.health));
  if (deps.metrics) app.use(createMetricsRouter(deps.metrics, authenticate, deps.config.metricsToken));
  app.use(createApiDocsRouter(() => listRoutes(app)));

  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
