import { agentModelStep, agentToolStep } from '../src/nodes/agent/agent-steps';
import { AGENT_ACTIVITIES } from '../src/shared/agent';
import type { NodeActivityInput, NodeActivityResult } from '../src/shared/flow';
import { nodeActivity, type NodeActivityDeps } from './node-activity';

/**
 * The agent node's activities: one model call (`llmChat`) and one tool call (`toolCall`), each
 * through the node activity wrapper, so credentials, logs, heartbeats and errors behave as for
 * the llm and tool-call nodes.
 */
export function createAgentActivities(deps: NodeActivityDeps): Record<string, (input: NodeActivityInput) => Promise<NodeActivityResult>> {
  return {
    [AGENT_ACTIVITIES.model]: nodeActivity(agentModelStep, deps),
    [AGENT_ACTIVITIES.tool]: nodeActivity(agentToolStep, deps),
  };
}
