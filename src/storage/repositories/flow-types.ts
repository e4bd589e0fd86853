import { type FlowEdge, type FlowNode } from '../../shared/flow';
import type { OwnerScope, Page, PageOptions } from '../query-helpers';

/* The shapes of the flows repository (its rows, inputs and interface). */

/** A flow's trigger: `{type: "manual"}`, `{type: "cron", schedule, timezone?}`, `{type: "event", event}`, `{type: "webhook", auth}`. */
export interface FlowTrigger {
  type: string;
  [key: string]: unknown;
}

export type FlowStatus = 'draft' | 'published' | 'archived';

/** The executable definition of a flow, as snapshotted in each version. */
export interface FlowDefinition {
  nodes: FlowNode[];
  edges: FlowEdge[];
  trigger: FlowTrigger;
  settings: Record<string, unknown>;
}

/** A flow (its head state). */
export interface FlowRow {
  id: string;
  owner_id: string;
  name: string;
  description: string;
  status: FlowStatus;
  enabled: boolean;
  trigger: FlowTrigger;
  nodes: FlowNode[];
  edges: FlowEdge[];
  settings: Record<string, unknown>;
  /** The head version number. */
  version: number;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

/** A flow as listed: without its graph. */
export type FlowSummary = Omit<FlowRow, 'nodes' | 'edges'>;

/** What creating a flow takes; version 1 is written with it. */
export interface NewFlow {
  id?: string;
  owner_id: string;
  name: string;
  /** Default `''`. */
  description?: string;
  /** Default `draft`. */
  status?: FlowStatus;
  /** Default `true`. */
  enabled?: boolean;
  /** Default `{type: "manual"}`. */
  trigger?: FlowTrigger;
  nodes?: FlowNode[];
  edges?: FlowEdge[];
  settings?: Record<string, unknown>;
  /** Author of version 1 (default: the owner). */
  author_id?: string | null;
  /** Comment of version 1. */
  comment?: string | null;
  /** Hash of version 1 (default: {@link hashDefinition} of its definition). */
  definition_hash?: string;
}

/** Fields of a flow that can change. */
export interface FlowPatch {
  name?: string;
  description?: string;
  status?: FlowStatus;
  enabled?: boolean;
  trigger?: FlowTrigger;
  nodes?: FlowNode[];
  edges?: FlowEdge[];
  settings?: Record<string, unknown>;
}

/** Metadata of a new version; `definition_hash` defaults to the hash of the updated definition. */
export interface NewFlowVersion {
  author_id?: string | null;
  comment?: string | null;
  definition_hash?: string;
}

export type FlowSortBy = 'name' | 'created_at' | 'updated_at';

/** Filters, sorting and paging of {@link FlowRepo.list}. */
export interface FlowListOptions extends PageOptions, OwnerScope {
  /** Case-insensitive substring of the name or description. */
  search?: string;
  status?: FlowStatus;
  enabled?: boolean;
  /**
   * `true`: only flows whose trigger is live (enabled and not archived), what the seeds call
   * `running`; `false`: only the others (`stopped`).
   */
  live?: boolean;
  /** Only flows whose `trigger.type` is this. */
  triggerType?: string;
  /** Default `updated_at`. */
  sortBy?: FlowSortBy;
  /** Default `desc`. */
  sortOrder?: 'asc' | 'desc';
}

/** An immutable snapshot of a flow's definition. */
export interface FlowVersionRow {
  id: string;
  flow_id: string;
  version: number;
  definition: FlowDefinition;
  definition_hash: string;
  author_id: string | null;
  comment: string | null;
  created_at: string;
}

/** A version as listed: without its definition. */
export type FlowVersionSummary = Omit<FlowVersionRow, 'definition'>;

/** Flows and their versions. Deleted flows are hidden (but their versions stay readable for old runs). */
export interface FlowRepo {
  /** Inserts the flow and its version 1 in one transaction. */
  create(input: NewFlow): Promise<FlowRow>;
  /** The flow if it exists, is not deleted (unless `includeDeleted`) and belongs to `ownerId` (any owner when undefined). */
  get(id: string, options?: OwnerScope & { includeDeleted?: boolean }): Promise<FlowRow | undefined>;
  list(options?: FlowListOptions): Promise<Page<FlowSummary>>;
  /**
   * Every undeleted flow of `ownerId` with its nodes (no edges), oldest first: for checks of what
   * nodes name outside the flow (a credential about to be deleted).
   */
  listNodes(ownerId: string): Promise<Pick<FlowRow, 'id' | 'name' | 'nodes'>[]>;
  /** Enabled, undeleted flows with this trigger type (and `trigger.event`, when given), oldest first. */
  listTriggered(options: OwnerScope & { triggerType: string; event?: string }): Promise<FlowRow[]>;
  /**
   * Applies `patch`. With `newVersion`, the head version increments and the new definition is
   * snapshotted in the same transaction. Undefined when the flow does not exist, is deleted or is
   * not `ownerId`'s.
   */
  update(
    id: string,
    patch: FlowPatch,
    options?: OwnerScope & { newVersion?: NewFlowVersion },
  ): Promise<FlowRow | undefined>;
  /** Marks the flow deleted; false when it was not found (or already deleted). */
  softDelete(id: string, options?: OwnerScope): Promise<boolean>;
  /** The flow's versions, newest first. */
  listVersions(flowId: string): Promise<FlowVersionSummary[]>;
  getVersion(flowId: string, version: number): Promise<FlowVersionRow | undefined>;
}

/** The executable definition of a flow row. */
export function definitionOf(
  flow: Pick<FlowRow, 'nodes' | 'edges' | 'trigger' | 'settings'>,
): FlowDefinition {
  return { nodes: flow.nodes, edges: flow.edges, trigger: flow.trigger, settings: flow.settings };
}

