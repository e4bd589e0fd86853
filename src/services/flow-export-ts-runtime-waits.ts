/**
 * Runtime helpers of an exported TypeScript workflow (docs/export-typescript.md): the nodes that
 * wait — delays as durable timers, approvals answered by the `approve` update and wait-event nodes
 * fed by the `event` signal, with the same names and arguments as the platform's run workflow.
 */
import type { Helper } from './flow-export-ts-runtime-helper';

/** `delay`, the approval helpers and the event helpers, in the order the exported file carries them. */
export const WAIT_HELPERS = {
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
} satisfies Record<string, Helper>;
