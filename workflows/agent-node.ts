import { ApplicationFailure, isCancellation, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import {
  AGENT_ACTIVITIES,
  AGENT_CALL_DEFAULTS,
  MAX_TOOL_RESULT_CHARS,
  type ChatMessage,
  type ChatToolCall,
  type ChatUsage,
  type LlmChatData,
  type LlmChatOutput,
  type ToolCallData,
} from '../src/shared/agent';
import type { CompiledNode, NodeActivityInput, NodeActivityResult, RetrySpec } from '../src/shared/flow';
import type { AgentData } from '../src/nodes/types/agent';
import { describeError } from './errors';
import { renderFor } from './evaluation';
import type { GraphRunner, NodeOutcome } from './graph-runner';

type StepActivity = (input: NodeActivityInput) => Promise<NodeActivityResult>;

/** One tool call as the agent's output lists it. */
interface ToolCallRecord {
  iteration: number;
  id: string;
  tool: string;
  input: unknown;
  output?: unknown;
  error?: string;
}

function retryOf(retry: Required<RetrySpec>): ActivityOptions['retry'] {
  return {
    maximumAttempts: retry.max_attempts,
    initialInterval: retry.initial_interval_ms,
    backoffCoefficient: retry.backoff_coefficient,
    maximumInterval: retry.max_interval_ms,
  };
}

/** An activity id part from a model's call id: safe characters only, unique within its step. */
function callKey(call: ChatToolCall, index: number, taken: Set<string>): string {
  let key = String(call.id ?? '').replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 64) || String(index + 1);
  if (taken.has(key)) key = `${key}-${index + 1}`;
  taken.add(key);
  return key;
}

/** What the model gets back for a tool call: the result or the error as JSON, cut to a size. */
function toolMessage(call: ChatToolCall, record: ToolCallRecord): ChatMessage {
  let content = JSON.stringify(record.error !== undefined ? { error: record.error } : (record.output ?? null)) ?? 'null';
  if (content.length > MAX_TOOL_RESULT_CHARS) content = `${content.slice(0, MAX_TOOL_RESULT_CHARS)}… [cut: ${content.length} characters in all]`;
  return { role: 'tool', tool_call_id: call.id, content };
}

/** A rendered template may give an object or a number: the model gets it as JSON text. */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? '');
}

function addUsage(total: Record<string, number>, usage: ChatUsage | null): void {
  for (const [k, v] of Object.entries(usage ?? {})) if (typeof v === 'number') total[k] = (total[k] ?? 0) + v;
}

/**
 * The `agent` node: a conversation with a model that may call tools, each model call and each
 * tool call its own activity (`<node>/model-<n>`, `<node>/tool-<n>-<call id>`), so a worker that
 * dies mid-conversation costs only the call in flight, and the Web UI shows every step. The
 * conversation lives in the workflow: Temporal records each call's result, and a replay rebuilds
 * it from history without calling anyone again. Only definitions compiled with this node type
 * contain it, so no run recorded before it can take this path (no patch needed).
 */
export async function runAgentNode(node: CompiledNode, runner: GraphRunner): Promise<NodeOutcome> {
  const data = (await renderFor(node, runner, node.data)) as AgentData;
  const { execution_id, flow_id, owner_id } = runner.run.input;
  const label = node.label ?? node.id;
  const key = `${runner.scopeKey}${node.id}`;
  const base = { execution_id, flow_id, owner_id, node_id: node.id, node_type: node.type, label: node.label, input: null };
  const tools = (data.tools ?? []).map(String);

  const earlier = (Array.isArray(data.messages) ? data.messages : []) as { role: 'system' | 'user' | 'assistant'; content: unknown }[];
  const messages: ChatMessage[] = [
    ...(data.system ? [{ role: 'system' as const, content: asText(data.system) }] : []),
    ...earlier.map((m) => ({ role: m.role, content: asText(m.content) }) as ChatMessage),
    ...(data.prompt ? [{ role: 'user' as const, content: asText(data.prompt) }] : []),
  ];
  const records: ToolCallRecord[] = [];
  const usage: Record<string, number> = {};
  const heartbeat = AGENT_CALL_DEFAULTS.heartbeat_ms;

  const callTool = async (call: ChatToolCall, iteration: number, activityKey: string): Promise<ToolCallRecord> => {
    const record: ToolCallRecord = { iteration, id: call.id, tool: call.function.name, input: null };
    if (!tools.includes(call.function.name)) {
      record.error = `tool "${call.function.name}" is not available to this agent; it may call: ${tools.join(', ') || 'no tools'}`;
      return record;
    }
    try {
      record.input = call.function.arguments.trim() ? JSON.parse(call.function.arguments) : {};
    } catch (err) {
      record.input = call.function.arguments;
      record.error = `the arguments are not valid JSON: ${(err as Error).message}`;
      return record;
    }
    const activity = proxyActivities<Record<string, StepActivity>>({
      activityId: `${key}/tool-${iteration}-${activityKey}`,
      startToCloseTimeout: data.tool_timeout_ms ?? AGENT_CALL_DEFAULTS.tool_timeout_ms,
      heartbeatTimeout: heartbeat,
      retry: retryOf(AGENT_CALL_DEFAULTS.tool_retry),
      summary: `tool ${call.function.name}`,
    })[AGENT_ACTIVITIES.tool];
    runner.run.activityRan();
    try {
      const step: ToolCallData = { tool: call.function.name, input: record.input };
      record.output = (await activity({ ...base, data: step as unknown as Record<string, unknown> })).output.result;
    } catch (err) {
      if (isCancellation(err)) throw err;
      // The model hears about a failed call (it may retry with other input or give up); the node goes on.
      record.error = describeError(err).message;
    }
    return record;
  };

  for (let n = 1; n <= data.max_iterations; n++) {
    // A paused run starts no new step, as it starts no new node.
    await runner.run.whenRunning();
    const model = proxyActivities<Record<string, StepActivity>>({
      activityId: `${key}/model-${n}`,
      startToCloseTimeout: node.exec.timeout_ms,
      heartbeatTimeout: heartbeat,
      retry: retryOf(node.exec.retry),
      summary: `agent ${label}: model call ${n}`,
    })[AGENT_ACTIVITIES.model];
    runner.run.activityRan();
    const request: LlmChatData & { json_schema?: unknown } = {
      messages,
      tools,
      model: data.model,
      provider: data.provider,
      credential: data.credential,
      temperature: data.temperature as number | undefined,
      max_tokens: data.max_tokens as number | undefined,
      response_format: data.response_format,
      json_schema: data.json_schema,
    };
    const reply = (await model({ ...base, data: JSON.parse(JSON.stringify(request)) })).output as LlmChatOutput;
    addUsage(usage, reply.usage);
    messages.push(reply.result);
    const calls = reply.result.tool_calls ?? [];
    if (calls.length === 0) {
      const result = reply.parsed !== undefined ? reply.parsed : (reply.result.content ?? '');
      return { output: { result, messages, tool_calls: records, usage, iterations: n, model: reply.model }, port: 'default', input: data };
    }
    const taken = new Set<string>();
    const keys = calls.map((call, i) => callKey(call, i, taken));
    // Started together (their activities are scheduled in the order the model gave); results go back in that order.
    const done = await Promise.all(calls.map((call, i) => callTool(call, n, keys[i])));
    done.forEach((record, i) => {
      records.push(record);
      messages.push(toolMessage(calls[i], record));
    });
  }
  throw ApplicationFailure.create({
    message: `agent ${node.id} did not finish within max_iterations (${data.max_iterations} model calls): the model still asked for tools`,
    type: 'AgentIterationsExceeded',
    nonRetryable: true,
    details: [{ tool_calls: records.length }],
  });
}
