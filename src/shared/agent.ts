/**
 * The agent's contract between the interpreter (workflows/agent-node.ts) and its two activities
 * (activities/agent.ts): chat messages, what one model call and one tool call take and return.
 * Bundle-safe: types and constants only.
 */

/** A tool call the model asked for (OpenAI chat-completions shape). */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One message of a conversation (OpenAI chat-completions shape). */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** Token counts, as providers report them. */
export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  [key: string]: unknown;
}

/** Names of the agent's activities, as the worker registers them. */
export const AGENT_ACTIVITIES = { model: 'llmChat', tool: 'toolCall' } as const;

/** `data` of an `llmChat` activity: one model call of an agent (rendered values). */
export interface LlmChatData {
  messages: ChatMessage[];
  /** Tool names the model may call (built-in or the owner's): their schemas are looked up by the activity. */
  tools: string[];
  model?: string;
  provider?: string;
  credential?: string;
  temperature?: number;
  max_tokens?: number;
  /** Applies to the final answer only (a reply without tool calls). */
  response_format?: unknown;
}

/** What an `llmChat` activity returns as `output`. */
export interface LlmChatOutput {
  [key: string]: unknown;
  /** The assistant message, as the conversation keeps it. */
  result: Extract<ChatMessage, { role: 'assistant' }>;
  /** The final answer parsed (JSON response formats), when the reply has no tool calls. */
  parsed?: unknown;
  model: string;
  usage: ChatUsage | null;
  finish_reason: string | null;
}

/** `data` of a `toolCall` activity: one tool call of an agent. */
export interface ToolCallData {
  tool: string;
  input: unknown;
}

/** Activity options of the agent's calls (their retry policy is the agent node's own). */
export const AGENT_CALL_DEFAULTS = Object.freeze({
  /** One model call may generate for minutes. */
  model_timeout_ms: 310_000,
  tool_timeout_ms: 60_000,
  /** The activity wrapper heartbeats every second: a dead worker's call is retried after this long. */
  heartbeat_ms: 10_000,
  tool_retry: Object.freeze({ max_attempts: 3, initial_interval_ms: 1_000, backoff_coefficient: 2, max_interval_ms: 30_000 }),
});

/** Longest tool result (JSON characters) handed back to the model; the rest is cut, saying so. */
export const MAX_TOOL_RESULT_CHARS = 100_000;
