import { listNodeDefinitions } from '../src/nodes/registry';
import { nodeActivity, type NodeActivityDeps } from './node-activity';
import { createSystemActivities, type SystemActivityDeps } from './system';

/** Every activity the worker registers: one per activity node type, named after the type, plus the system ones. */
export function createActivities(deps: NodeActivityDeps & SystemActivityDeps): Record<string, (...args: any[]) => Promise<unknown>> {
  const activities: Record<string, (...args: any[]) => Promise<unknown>> = { ...createSystemActivities(deps) };
  for (const def of listNodeDefinitions()) {
    if (def.kind === 'activity') activities[def.type] = nodeActivity(def, deps);
  }
  return activities;
}
