import type { SaveCheckOptions, ValidationResult } from '../nodes/validate-flow';
import type { FlowRow, FlowStatus, FlowTrigger, FlowVersionRow, FlowVersionSummary } from '../storage';
import type { FlowEdge, FlowGraph, FlowNode } from '../shared/flow';
import type { Actor } from './actor';
import type { NodePatch } from './node-edits';
import type { SavedFlow } from './flow-triggers';

/* The shapes of the flow service: what it takes, what it answers, and its interface. */

/** A flow as create and update take it; the API parses request bodies into this. */
export interface FlowInput {
  name: string;
  description: string;
  status: FlowStatus;
  enabled: boolean;
  trigger: FlowTrigger;
  settings: Record<string, unknown>;
  /** Nodes and edges in any spelling the flow format accepts: normalised and validated here. */
  nodes: unknown[];
  edges: unknown[];
  /** The new version's comment. */
  comment?: string;
}

/** A node to add, in any spelling the flow format accepts, with edges to add along with it. */
export interface NodeAddInput {
  /** A free id is chosen when absent. */
  id?: string;
  type: string;
  edges: unknown[];
  comment?: string;
  [field: string]: unknown;
}

/** A change to one node (`data` merged, `null` removes a setting), with the new version's comment. */
export interface NodePatchInput extends NodePatch {
  comment?: string;
}

/** Version of the export document written by `GET /workflows/{id}/export`; import reads it and older ones. */
export const EXPORT_FORMAT_VERSION = 1;

/** A portable copy of a flow: no ids or owner, so it can be imported anywhere. */
export interface FlowExport {
  workflow: {
    name: string;
    description: string;
    status: FlowRow['status'];
    enabled: boolean;
    trigger: FlowRow['trigger'];
    settings: Record<string, unknown>;
    nodes: FlowNode[];
    edges: FlowEdge[];
    /** The version exported (informational: an import starts at version 1). */
    version: number;
  };
  exported_at: string;
  format_version: number;
}

/** What the deployment offers that decides whether some nodes can run: checked when a flow is saved or validated. */
export type FlowEnvironment = SaveCheckOptions;

/** Flow CRUD, versions, import/export, templates and node edits; routes call it after authenticating. */
export interface FlowService {
  /**
   * Validates a graph (and a trigger, when given) on its own: errors and warnings with their paths,
   * without what needs the owner's resources ({@link validateFor} adds those).
   */
  validate(raw: { nodes?: unknown; edges?: unknown; trigger?: unknown }): ValidationResult & { graph: FlowGraph };
  /**
   * Every check a save makes, as `/workflows/validate` answers it: {@link validate}, the owner-aware
   * checks (unknown tools) as errors, and warnings about the credentials the nodes name that the
   * actor lacks or that do not fit. A save refuses exactly these errors and answers these warnings.
   */
  validateFor(actor: Actor, raw: { nodes?: unknown; edges?: unknown; trigger?: unknown }): Promise<ValidationResult & { graph: FlowGraph }>;
  create(actor: Actor, input: FlowInput): Promise<SavedFlow>;
  get(actor: Actor, id: string): Promise<FlowRow>;
  /** Applies a change; a new version is made only when the executable definition changes ({@link executableHash}). */
  update(actor: Actor, id: string, patch: Partial<FlowInput>): Promise<SavedFlow>;
  remove(actor: Actor, id: string): Promise<void>;
  /** The flow's versions, newest first. */
  listVersions(actor: Actor, id: string): Promise<FlowVersionSummary[]>;
  /** One version's snapshot; 404 for an unknown version. */
  getVersion(actor: Actor, id: string, version: number): Promise<FlowVersionRow>;
  /** Makes a new head version whose nodes and edges are those of `version`. */
  rollback(actor: Actor, id: string, version: number, comment?: string): Promise<SavedFlow>;
  /** The head (or `version`) as a portable export document. */
  exportFlow(actor: Actor, id: string, version?: number): Promise<FlowExport>;
  /** Creates a new flow of the actor from an imported one (nodes and edges in any accepted spelling). */
  importFlow(actor: Actor, workflow: FlowInput): Promise<SavedFlow>;
  /** Creates a flow from a built-in template. */
  createFromTemplate(actor: Actor, templateId: string, meta: { name?: string; description?: string }): Promise<SavedFlow>;
  addNode(actor: Actor, id: string, body: NodeAddInput): Promise<SavedFlow>;
  updateNode(actor: Actor, id: string, nodeId: string, patch: NodePatchInput): Promise<SavedFlow>;
  removeNode(actor: Actor, id: string, nodeId: string): Promise<SavedFlow>;
}
