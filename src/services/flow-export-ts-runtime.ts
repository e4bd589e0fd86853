/**
 * The helpers an exported TypeScript workflow carries at its end (docs/export-typescript.md): the
 * platform's conventions for expressions, node outputs, node activities, approvals, events, loops
 * and sub-flows, written as plain workflow code. Each is emitted only when the flow uses it, with
 * the helpers and `@temporalio/workflow` imports it needs.
 */

/** One helper: its code, the helpers it calls and what it imports from `@temporalio/workflow`. */
interface Helper {
  code: string;
  uses?: string[];
  imports?: string[];
  /** Needs `import jsonata from 'jsonata'`. */
  jsonata?: boolean;
}

const HELPERS = {
  types: {
    code: `/** What expressions read: input, trigger, execution, vars and every node's output by its id (item and index in loop bodies). */
type Context = Record<string, any>;

/** A node's output: its main value in \`result\`, plus fields of its type. */
type Output = { result: unknown; [field: string]: unknown };

/** How a run started; \`trigger.data\` is the input unless given. */
interface Trigger {
  type: string;
  data?: unknown;
  [key: string]: unknown;
}`,
  },
  newContext: {
    uses: ['types'],
    imports: ['workflowInfo'],
    code: `/** The context of a run: the same names a flow's expressions see on the platform. */
function newContext(input: unknown, trigger: Trigger): Context {
  const info = workflowInfo();
  return {
    trigger: { ...trigger, data: trigger.data ?? input },
    input,
    execution: { id: info.runId, flow_id: FLOW.id, flow_version: FLOW.version, workflow_id: info.workflowId },
    vars: {},
  };
}`,
  },
  output: {
    uses: ['types'],
    code: `/** A control node's output: \`{result}\`, with null for nothing. */
function output(result: unknown): Output {
  return { result: result === undefined ? null : result };
}`,
  },
  evaluate: {
    uses: ['types'],
    imports: ['ApplicationFailure'],
    jsonata: true,
    code: `const compiled = new Map<string, jsonata.Expression>();

/** Evaluates a JSONata expression over \`context\`, as the platform does: the result as plain JSON. */
async function evaluate(expression: string, context: Context): Promise<unknown> {
  let e = compiled.get(expression);
  if (!e) {
    e = jsonata(expression);
    registerFunctions(e);
    compiled.set(expression, e);
  }
  try {
    const value = await e.evaluate(context);
    const json = value === undefined ? undefined : JSON.stringify(value);
    return json === undefined ? undefined : JSON.parse(json);
  } catch (err) {
    const { message, position } = err as { message?: string; position?: number };
    const where = position === undefined ? '' : \` (position \${position})\`;
    throw ApplicationFailure.create({
      type: 'ExpressionError',
      message: \`Expression failed \\\`\${expression}\\\`: \${message ?? String(err)}\${where}\`,
      nonRetryable: true,
    });
  }
}`,
  },
  registerNone: {
    jsonata: true,
    code: `/** Functions the platform adds to JSONata (none that this flow uses). */
function registerFunctions(_expression: jsonata.Expression): void {}`,
  },
  registerBase64: {
    jsonata: true,
    code: `const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** $base64encode/$base64decode over UTF-8 in plain code: the workflow sandbox has neither Buffer nor btoa. */
function registerFunctions(expression: jsonata.Expression): void {
  expression.registerFunction('base64encode', (text?: string) => {
    if (text === undefined) return undefined;
    const bytes = new TextEncoder().encode(text);
    let out = '';
    for (let i = 0; i < bytes.length; i += 3) {
      const chunk = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
      out += BASE64[(chunk >> 18) & 63] + BASE64[(chunk >> 12) & 63];
      out += i + 1 < bytes.length ? BASE64[(chunk >> 6) & 63] : '=';
      out += i + 2 < bytes.length ? BASE64[chunk & 63] : '=';
    }
    return out;
  }, '<s-:s>');
  expression.registerFunction('base64decode', (text?: string) => {
    if (text === undefined) return undefined;
    const clean = text.replace(/\\s+/g, '').replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
    const bytes: number[] = [];
    let buffer = 0;
    let bits = 0;
    for (const char of clean) {
      const value = BASE64.indexOf(char);
      if (value < 0) throw new Error(\`Invalid base64 character \${JSON.stringify(char)}\`);
      buffer = (buffer << 6) | value;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes.push((buffer >> bits) & 0xff);
      }
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  }, '<s-:s>');
}`,
  },
  text: {
    code: `/** How a value reads inside a larger template string: null as '', objects as JSON, numbers to 15 digits. */
function text(value: unknown): string {
  const round = (n: number) => (Number.isInteger(n) ? n : Number(n.toPrecision(15)));
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(round(value));
  if (typeof value === 'object') return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' ? round(v) : v));
  return String(value);
}`,
  },
  truthy: {
    code: `/** JSONata truthiness: empty arrays, empty strings, 0 and null are false. */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(truthy);
  return value !== undefined && value !== null && value !== false && value !== 0 && value !== '' && !Number.isNaN(value);
}`,
  },
  upstream: {
    uses: ['types'],
    code: `/** A node's \`prev\` after a join: the output of the one parent it was reached from, or {parent: output} for several. */
function upstream(ctx: Context, parents: string[], reachedFrom: Set<string>): unknown {
  const from = parents.filter((id) => reachedFrom.has(id));
  if (from.length === 0) return undefined;
  if (from.length === 1) return ctx[from[0]];
  return Object.fromEntries(from.map((id) => [id, ctx[id]]));
}`,
  },
  flowOutput: {
    uses: ['types'],
    code: `/** A (loop body's) result: its end node's, {end: result} for several, else the last nodes' that ran. */
function flowOutput(ctx: Context, ends: string[], sinks: string[]): unknown {
  const pick = (ids: string[]) => {
    if (ids.length === 0) return null;
    if (ids.length === 1) return ctx[ids[0]].result;
    return Object.fromEntries(ids.map((id) => [id, ctx[id].result]));
  };
  const endsRan = ends.filter((id) => ctx[id] !== undefined);
  return endsRan.length ? pick(endsRan) : pick(sinks.filter((id) => ctx[id] !== undefined));
}`,
  },
  describe: {
    imports: ['ActivityFailure', 'ApplicationFailure', 'ChildWorkflowFailure', 'isCancellation', 'TemporalFailure'],
    code: `/** What a failed node's \`error\` shows: the node's own error, unwrapped from Temporal's failures. */
function describe(err: unknown): { message: string; type?: string; details?: unknown } {
  let e = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) {
    const details = e.details && e.details.length ? e.details[0] : undefined;
    if (e.type === 'NodeFailed' && details && typeof details === 'object' && 'error' in details) {
      return (details as { error: { message: string; type?: string; details?: unknown } }).error;
    }
    return { message: e.message, type: e.type ?? undefined, ...(details !== undefined ? { details } : {}) };
  }
  if (e instanceof TemporalFailure) return { message: e.message, type: e.name };
  if (e instanceof Error) return { message: e.message, type: e.name };
  return { message: String(e) };
}`,
  },
  callNode: {
    uses: ['types', 'describe'],
    imports: ['ApplicationFailure', 'isCancellation', 'proxyActivities', 'workflowInfo', 'type ActivityOptions'],
    code: `/** What the platform's node activities take (NodeActivityInput) and return (NodeActivityResult). */
interface NodeActivityInput {
  execution_id: string;
  flow_id: string;
  owner_id: string;
  node_id: string;
  node_type: string;
  label?: string;
  data: Record<string, unknown>;
  input: unknown;
  context?: Record<string, unknown>;
}
type NodeActivity = (input: NodeActivityInput) => Promise<{ output: Output; attempt: number }>;

/** A node of the flow that runs as the platform's activity of its type. */
interface ActivityNode {
  id: string;
  type: string;
  label?: string;
  /** Defaults to the node id; inside loop bodies \`<loop>/<index>/<node>\`, as on the platform. */
  activityId?: string;
}

/**
 * Calls the platform's activity for \`node.type\` on its task queue, with the node's retry policy and
 * timeout; the activity resolves credentials, tools and data sources of the flow's owner.
 */
async function callNode(
  node: ActivityNode,
  data: Record<string, unknown>,
  input: unknown,
  options: ActivityOptions,
  context?: Context,
): Promise<Output> {
  const activities = proxyActivities<Record<string, NodeActivity>>({
    ...options,
    taskQueue: PLATFORM_TASK_QUEUE,
    activityId: node.activityId ?? node.id,
    summary: node.label ? \`\${node.label} (\${node.id})\` : node.id,
  });
  try {
    const { output } = await activities[node.type]({
      execution_id: workflowInfo().runId,
      flow_id: FLOW.id,
      owner_id: FLOW.owner_id,
      node_id: node.id,
      node_type: node.type,
      label: node.label,
      data,
      input,
      ...(context ? { context } : {}),
    });
    return output;
  } catch (err) {
    if (isCancellation(err)) throw err;
    const error = describe(err);
    throw ApplicationFailure.create({
      type: 'NodeFailed',
      message: \`node \${node.id} failed: \${error.message}\`,
      details: [{ node_id: node.id, error }],
      nonRetryable: true,
    });
  }
}`,
  },
  delay: {
    uses: ['types'],
    imports: ['ApplicationFailure', 'sleep'],
    code: `/** The delay node: a durable timer for \`duration_ms\`, or until \`until\` (an ISO time). */
async function delay(label: string, data: Record<string, unknown>): Promise<Output> {
  const now = Date.now();
  let ms: number;
  if (data.until !== undefined) {
    const at = Date.parse(String(data.until));
    if (Number.isNaN(at)) throw ApplicationFailure.nonRetryable(\`delay: until is not a date-time: \${String(data.until)}\`);
    ms = Math.max(0, at - now);
  } else {
    ms = Math.max(0, Number(data.duration_ms ?? 0));
    if (!Number.isFinite(ms)) throw ApplicationFailure.nonRetryable(\`delay: duration_ms is not a number: \${String(data.duration_ms)}\`);
  }
  if (ms > 0) await sleep(ms, { summary: \`delay \${label}\` });
  return { result: { waited_ms: Date.now() - now } };
}`,
  },
  approvals: {
    imports: ['ApplicationFailure', 'condition', 'defineUpdate', 'setHandler'],
    code: `/** The \`approve\` update: the same name and argument as the platform's runFlow, so the same callers work. */
interface ApprovalRequest {
  node_id: string;
  decision: 'approve' | 'reject';
  comment?: string;
  user: { id: string; username: string; role?: string };
}
interface ApprovalDecision {
  decision: 'approved' | 'rejected' | 'timeout';
  comment: string | null;
  decided_by: string | null;
  decided_at: string;
  /** On a timeout: the port taken (\`default_outcome\`, else \`timeout\`). */
  outcome?: string;
}
type Approvals = Map<string, { approvers: string[]; decision?: ApprovalDecision }>;

export const approveUpdate = defineUpdate<ApprovalDecision, [ApprovalRequest]>('approve');

/** Answers \`approve\` updates for the approvals waiting in this run (validated as the platform does). */
function listenForApprovals(): Approvals {
  const approvals: Approvals = new Map();
  const check = (req: ApprovalRequest) => {
    const pending = approvals.get(req.node_id);
    const refuse = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });
    if (!pending || pending.decision) throw refuse('NotWaiting', \`node \${req.node_id} is not waiting for an approval\`);
    if (req.decision !== 'approve' && req.decision !== 'reject') throw refuse('BadRequest', 'decision must be approve or reject');
    const { approvers } = pending;
    const user = req.user;
    if (approvers.length && user.role !== 'admin' && !approvers.includes(user.username) && !approvers.includes(user.id)) {
      throw refuse('NotAllowed', \`\${user.username} is not an approver of node \${req.node_id}\`);
    }
    return pending;
  };
  setHandler(
    approveUpdate,
    (req) => {
      const pending = check(req);
      pending.decision = {
        decision: req.decision === 'approve' ? 'approved' : 'rejected',
        comment: req.comment ?? null,
        decided_by: req.user.username,
        decided_at: new Date().toISOString(),
      };
      return pending.decision;
    },
    { validator: (req) => void check(req) },
  );
  return approvals;
}

/** The approval node: waits for an \`approve\` update, or \`timeout_ms\` (then \`default_outcome\`, else \`timeout\`). */
async function waitForApproval(approvals: Approvals, nodeId: string, data: Record<string, unknown>): Promise<ApprovalDecision> {
  const approvers = Array.isArray(data.approvers) ? data.approvers.map(String) : [];
  const pending: { approvers: string[]; decision?: ApprovalDecision } = { approvers };
  approvals.set(nodeId, pending);
  const decided =
    data.timeout_ms === undefined
      ? (await condition(() => pending.decision !== undefined), true)
      : await condition(() => pending.decision !== undefined, Number(data.timeout_ms));
  if (decided && pending.decision) return pending.decision;
  pending.decision = { decision: 'timeout', comment: null, decided_by: null, decided_at: new Date().toISOString() };
  return { ...pending.decision, outcome: String(data.default_outcome ?? 'timeout') };
}`,
  },
  events: {
    imports: ['condition', 'defineSignal', 'setHandler'],
    code: `/** The \`event\` signal: the same name and argument as the platform's runFlow. */
interface RunEvent {
  name: string;
  data: unknown;
}

export const eventSignal = defineSignal<[RunEvent]>('event');

/** Keeps the events this run receives until a wait-event node takes them. */
function listenForEvents(): RunEvent[] {
  const events: RunEvent[] = [];
  setHandler(eventSignal, (event) => void events.push(event));
  return events;
}

/** The wait-event node: the first event named \`data.name\`, or undefined after \`timeout_ms\`. */
async function waitForEvent(events: RunEvent[], data: Record<string, unknown>): Promise<RunEvent | undefined> {
  const has = () => events.some((e) => e.name === data.name);
  if (data.timeout_ms === undefined) await condition(has);
  else if (!(await condition(has, Number(data.timeout_ms)))) return undefined;
  return events.splice(events.findIndex((e) => e.name === data.name), 1)[0];
}`,
  },
  loop: {
    uses: ['types', 'describe', 'terminate'],
    imports: ['ApplicationFailure'],
    code: `/**
 * The loop node: runs \`body\` once per item, \`concurrency\` at a time, each with its own copy of the
 * context (plus \`item\` and \`index\`). \`stop\` fails at the first failed item; \`continue\` records it.
 */
async function loop(
  ctx: Context,
  items: unknown,
  options: { concurrency: number; error_handling: 'stop' | 'continue' },
  body: (ctx: Context, item: unknown, index: number) => Promise<unknown>,
): Promise<Output> {
  if (!Array.isArray(items)) {
    throw ApplicationFailure.create({ type: 'Error', message: \`loop: items must evaluate to an array, got \${items === null ? 'null' : typeof items}\` });
  }
  const results: unknown[] = new Array(items.length).fill(null);
  const errors: { index: number; node_id: string | null; error: ReturnType<typeof describe> }[] = [];
  let next = 0;
  let stopped = false;
  const lane = async () => {
    while (next < items.length && !stopped) {
      const index = next++;
      const itemContext = { ...ctx, vars: { ...ctx.vars }, item: items[index], index };
      try {
        results[index] = await body(itemContext, items[index], index);
      } catch (err) {
        if (err instanceof Terminated) {
          results[index] = err.data.message ?? null;
          continue;
        }
        const failed = err instanceof ApplicationFailure && err.type === 'NodeFailed' ? (err.details?.[0] as { node_id?: string }) : undefined;
        errors.push({ index, node_id: failed?.node_id ?? null, error: describe(err) });
        if (options.error_handling === 'stop') stopped = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, items.length)) }, lane));
  if (stopped) {
    const first = errors[0];
    throw ApplicationFailure.create({ type: 'Error', message: \`loop item \${first.index} failed at node \${first.node_id}: \${first.error.message}\` });
  }
  return errors.length ? { result: results, errors } : { result: results };
}`,
  },
  subFlow: {
    uses: ['types'],
    imports: ['executeChild', 'proxyActivities', 'workflowInfo'],
    code: `/** What runs another stored flow: the platform's prepareSubFlow activity and its runFlow workflow. */
interface PlatformActivities {
  prepareSubFlow(input: { parent_execution_id: string; owner_id: string; workflow_id: string; version?: number; input: unknown }): Promise<{
    execution_id: string;
    flow_version: number;
  }>;
}

const { prepareSubFlow } = proxyActivities<PlatformActivities>({
  taskQueue: PLATFORM_TASK_QUEUE,
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: ['NotFound', 'InvalidDefinition'] },
});

/**
 * The sub-flow node: the other flow stays on the platform. It runs as the platform's own runFlow
 * child workflow on the platform's task queue, and shows in its runs with this run as its parent.
 */
async function subFlow(data: Record<string, unknown>, upstreamInput: unknown): Promise<Output> {
  const child = await prepareSubFlow({
    parent_execution_id: workflowInfo().runId,
    owner_id: FLOW.owner_id,
    workflow_id: String(data.workflow_id),
    version: data.version === undefined ? undefined : Number(data.version),
    input: data.input === undefined ? upstreamInput : data.input,
  });
  const result = await executeChild<(input: unknown) => Promise<{ output: unknown }>>('runFlow', {
    taskQueue: PLATFORM_TASK_QUEUE,
    workflowId: \`run-\${child.execution_id}\`,
    args: [child],
    memo: { parent_workflow_id: workflowInfo().workflowId },
  });
  return { result: result.output, execution_id: child.execution_id, workflow_version: child.flow_version };
}`,
  },
  terminate: {
    imports: ['ApplicationFailure'],
    code: `/** Thrown by a terminate node: ends the run (or, in a loop body, that item) at once. */
class Terminated extends Error {
  constructor(readonly data: Record<string, unknown>) {
    super(data.message === undefined ? '' : String(data.message));
  }

  /** The run's end: its result (the message) when completed, a FlowTerminated failure when failed. */
  finish(): unknown {
    if (this.data.status !== 'failed') return this.data.message ?? null;
    throw ApplicationFailure.create({ type: 'FlowTerminated', message: this.message || 'terminated', nonRetryable: true });
  }
}`,
  },
} satisfies Record<string, Helper>;

/** The name of a helper. */
export type HelperName = keyof typeof HELPERS;

/** The helpers to emit: `wanted` and everything they use, in a stable order. */
export function helperCode(wanted: Iterable<HelperName>): { code: string[]; imports: string[]; jsonata: boolean } {
  const all = new Set<HelperName>();
  const add = (name: HelperName) => {
    if (all.has(name)) return;
    all.add(name);
    for (const dep of (HELPERS[name] as Helper).uses ?? []) add(dep as HelperName);
  };
  for (const name of wanted) add(name);
  const names = (Object.keys(HELPERS) as HelperName[]).filter((n) => all.has(n));
  const imports = new Set<string>();
  for (const n of names) for (const i of (HELPERS[n] as Helper).imports ?? []) imports.add(i);
  return {
    code: names.map((n) => HELPERS[n].code),
    imports: [...imports].sort((a, b) => a.replace('type ', '').localeCompare(b.replace('type ', ''))),
    jsonata: names.some((n) => (HELPERS[n] as Helper).jsonata),
  };
}
