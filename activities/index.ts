import { listNodeDefinitions } from '../src/nodes/registry';
import { createAgentActivities } from './agent';
import { nodeActivity, type NodeActivityDeps } from './node-activity';
import { createSystemActivities, type SystemActivityDeps } from './system';
import { createWebhookActivities, type WebhookActivityDeps } from './webhooks';

/**
 * Every activity the worker registers: one per activity node type, named after the type, plus the
 * system ones, and the webhook ones when `deps.webhooks` is given.
 */
export function createActivities(
  deps: NodeActivityDeps & SystemActivityDeps & { webhooks?: WebhookActivityDeps },
): Record<string, (...args: any[]) => Promise<unknown>> {
  const activities: Record<string, (...args: any[]) => Promise<unknown>> = {
    ...createSystemActivities(deps),
    ...createAgentActivities(deps),
    ...(deps.webhooks ? createWebhookActivities(deps.webhooks) : {}),
  };
  for (const def of listNodeDefinitions()) {
    if (def.kind === 'activity') activities[def.type] = nodeActivity(def, deps);
  }
  return activities;
}
