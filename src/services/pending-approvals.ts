import type { FlowNode, RunStatus } from '../shared/flow';
import type { ExecutionRow, Repos } from '../storage';
import type { Actor } from './flow-service';

/** The caller of an approval decision, as the interpreter identifies approvers. */
export interface Approver {
  id: string;
  username: string;
  role?: string;
}

/** One approval node waiting for a decision, as `GET /approvals` lists it. */
export interface PendingApproval {
  execution_id: string;
  workflow_id: string;
  workflow_version: number;
  node_id: string;
  /** The rendered `title` (from the run), else the node's label. */
  title: string | null;
  /** As written in the node (templates are not rendered). */
  instructions: string | null;
  /** As written in the node; empty means the run's owner (or an admin). */
  approvers: string[];
  requested_at: string | null;
  /** Whether the caller is allowed to decide it (an owner may see approvals meant for others). */
  can_decide: boolean;
}

/** Filters and paging of {@link listPendingApprovals}. */
export interface ApprovalListOptions {
  workflowId?: string;
  skip: number;
  limit: number;
}

/** What listing needs from the run service. */
export interface ApprovalListDeps {
  repos: Repos;
  liveStatus(row: ExecutionRow): Promise<RunStatus | undefined>;
}

/** Active runs looked at per listing, per kind (own runs, others' runs); older runs beyond it are not listed. */
export const MAX_SCANNED_RUNS = 500;
const PAGE = 100;
const QUERY_CONCURRENCY = 8;
const ACTIVE = ['running', 'paused', 'waiting'] as const;

type NodeIndex = Map<string, FlowNode>;

/** Every node of a definition by id, loop bodies included (their approvals wait under the inner id). */
function indexNodes(nodes: FlowNode[], into: NodeIndex = new Map()): NodeIndex {
  for (const n of nodes ?? []) {
    into.set(n.id, n);
    const body = (n.data as { body?: { nodes?: FlowNode[] } } | undefined)?.body;
    if (n.type === 'loop' && body?.nodes) indexNodes(body.nodes, into);
  }
  return into;
}

function literalApprovers(node: FlowNode | undefined): string[] {
  const list = (node?.data as { approvers?: unknown } | undefined)?.approvers;
  return Array.isArray(list) ? list.map(String) : [];
}

function names(node: FlowNode | undefined, user: Approver): boolean {
  return literalApprovers(node).some((a) => !a.includes('{{') && (a === user.username || a === user.id));
}

/** Loads (once per call site) the nodes of a run's pinned version. */
function definitionLoader(repos: Repos): (row: ExecutionRow) => Promise<NodeIndex> {
  const cache = new Map<string, Promise<NodeIndex>>();
  return (row) => {
    const key = `${row.flow_id}@${row.flow_version}`;
    let p = cache.get(key);
    if (!p) {
      p = repos.flows
        .getVersion(row.flow_id, row.flow_version)
        .then((v) => indexNodes(v?.definition.nodes ?? []));
      cache.set(key, p);
    }
    return p;
  };
}

/** Whether `user` is named (literally, by username or id) in the `approvers` of node `nodeId` of the run's version. */
export async function isStaticApprover(
  repos: Repos,
  row: ExecutionRow,
  nodeId: string,
  user: Approver,
): Promise<boolean> {
  const nodes = await definitionLoader(repos)(row);
  const node = nodes.get(nodeId);
  return node?.type === 'approval' && names(node, user);
}

async function activeRows(
  repos: Repos,
  ownerId: string | undefined,
  flowId: string | undefined,
): Promise<ExecutionRow[]> {
  const rows: ExecutionRow[] = [];
  for (let skip = 0; skip < MAX_SCANNED_RUNS; skip += PAGE) {
    const page = await repos.executions.list({ ownerId, flowId, status: [...ACTIVE], skip, limit: PAGE });
    rows.push(...page.items);
    if (page.items.length < PAGE) break;
  }
  return rows;
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(lanes);
  return out;
}

/**
 * Approvals waiting for a decision that the caller may see, oldest request first: every pending
 * approval of the caller's own runs (all runs for an admin), plus approvals of other users' runs
 * whose node names the caller in its literal `approvers`. The index narrows the candidates (active
 * runs, at most {@link MAX_SCANNED_RUNS} of each kind, newest first; others' runs only when their
 * pinned version has an approval node naming the caller); each candidate's status query says what
 * it waits for, so the list is what Temporal knows now.
 */
export async function listPendingApprovals(
  deps: ApprovalListDeps,
  actor: Actor,
  user: Approver,
  options: ApprovalListOptions,
): Promise<{ items: PendingApproval[]; total: number }> {
  const { repos } = deps;
  const nodesOf = definitionLoader(repos);
  const admin = actor.ownerId === undefined;
  const candidates = await activeRows(repos, actor.ownerId, options.workflowId);
  if (!admin) {
    const others = (await activeRows(repos, undefined, options.workflowId)).filter(
      (r) => r.owner_id !== actor.userId,
    );
    for (const row of others) {
      const nodes = await nodesOf(row);
      if ([...nodes.values()].some((n) => n.type === 'approval' && names(n, user))) candidates.push(row);
    }
  }

  const perRun = await mapLimited(candidates, QUERY_CONCURRENCY, async (row) => {
    const live = await deps.liveStatus(row);
    const waits = (live?.waiting_for ?? []).filter((w) => w.kind === 'approval');
    if (!waits.length) return [];
    const nodes = await nodesOf(row);
    const own = admin || row.owner_id === actor.userId;
    const items: PendingApproval[] = [];
    for (const w of waits) {
      const node = nodes.get(w.node_id);
      if (!own && !names(node, user)) continue;
      const approvers = literalApprovers(node);
      const step = live?.steps.find((s) => s.node_id === w.node_id);
      items.push({
        execution_id: row.id,
        workflow_id: row.flow_id,
        workflow_version: row.flow_version,
        node_id: w.node_id,
        title: w.name ?? node?.label ?? null,
        instructions:
          ((node?.data as { instructions?: unknown } | undefined)?.instructions as string | undefined) ??
          null,
        approvers,
        requested_at: step?.started_at ?? null,
        can_decide: user.role === 'admin' || (approvers.length === 0 ? own : names(node, user)),
      });
    }
    return items;
  });

  const all = perRun.flat().sort((a, b) => (a.requested_at ?? '').localeCompare(b.requested_at ?? ''));
  return { items: all.slice(options.skip, options.skip + options.limit), total: all.length };
}
