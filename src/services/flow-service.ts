import { normalizeFlow } from '../nodes/normalize-flow';
import { rewriteSeedSyntax } from '../nodes/seed-syntax';
import { type SaveCheckOptions, validateFlow, type ValidationResult } from '../nodes/validate-flow';
import {
  hashDefinition,
  type FlowRow,
  type FlowStatus,
  type FlowTrigger,
  type FlowVersionRow,
  type FlowVersionSummary,
  type Repos,
} from '../storage';
import type { FlowEdge, FlowGraph, FlowNode } from '../shared/flow';
import { conflict, notFound, unprocessable } from '../shared/errors';
import type { Actor } from './actor';
import { getTemplate } from '../templates';
import { addNode, freeNodeId, indexOfNode, nodeIds, patchNode, removeNode, type EditedGraph, type NodePatch } from './node-edits';
import { combineTriggerHandlers, type FlowGraphCheck, type FlowTriggerHandler, type SavedFlow } from './flow-triggers';
import { credentialWarnings } from './credentials/credential-references';

export type { FlowGraphCheck, FlowTriggerHandler, SavedFlow } from './flow-triggers';

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

export type { Actor } from './actor';

/** Node fields a run executes; everything else (label, position, editor fields) is presentation. */
const EXECUTABLE_NODE_FIELDS = ['id', 'type', 'data', 'retry', 'timeout_ms', 'on_error'] as const;

function executableNode(node: FlowNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of EXECUTABLE_NODE_FIELDS) if (node[key] !== undefined) out[key] = node[key];
  const body = node.type === 'loop' ? (node.data?.body as Partial<FlowGraph> | undefined) : undefined;
  if (body && Array.isArray(body.nodes)) {
    out.data = { ...node.data, body: executableGraph({ nodes: body.nodes, edges: Array.isArray(body.edges) ? body.edges : [] }) };
  }
  return out;
}

function executableGraph(graph: FlowGraph) {
  return {
    nodes: graph.nodes.map(executableNode),
    edges: graph.edges.map((e: FlowEdge) => ({ source: e.source, target: e.target, source_handle: e.source_handle })),
  };
}

/**
 * The hash of what a run executes: node ids, types, data, retry, timeout and on_error, and the
 * edges' endpoints and ports (loop bodies alike). Labels, positions, edge ids and editor fields
 * are left out, so renaming or moving a node does not make a new version.
 */
export function executableHash(graph: FlowGraph): string {
  return hashDefinition(executableGraph(graph));
}

/**
 * Turns validation problems into a 422 whose details map each path (renamed by `pathOf`) to its
 * message; several problems at one path are joined with `; `, so none is lost.
 */
function rejectInvalid(result: Pick<ValidationResult, 'errors'>, pathOf: (path: string) => string = (p) => p || '(root)'): never {
  const details: Record<string, string> = {};
  for (const e of result.errors) {
    const path = pathOf(e.path);
    details[path] = details[path] === undefined ? e.message : `${details[path]}; ${e.message}`;
  }
  throw unprocessable('flow is invalid', details);
}

/** What the deployment offers that decides whether some nodes can run: checked when a flow is saved or validated. */
export type FlowEnvironment = SaveCheckOptions;

/** A deployment with nothing configured and no private host allowed (the defaults of src/config.ts). */
const BARE_ENVIRONMENT: FlowEnvironment = { httpAllowedHosts: [], llmConfigured: false, smtpConfigured: false };

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

/** Creates the flow service over the repositories. */
export function createFlowService({
  repos,
  triggers: handlers = [],
  checks = [],
  environment = BARE_ENVIRONMENT,
}: {
  repos: Repos;
  triggers?: readonly FlowTriggerHandler[];
  /** Owner-aware checks of a graph at save time and in validateFor (unknown tools…). */
  checks?: readonly FlowGraphCheck[];
  /** The deployment's HTTP_ALLOWED_HOSTS, and whether LLM_BASE_URL and SMTP_URL are set. */
  environment?: FlowEnvironment;
}): FlowService {
  const triggers = combineTriggerHandlers(handlers);
  /** Problems the owner-aware checks find in `graph`. */
  const ownerProblems = async (ownerId: string, graph: FlowGraph): Promise<ValidationResult['errors']> => {
    const problems: ValidationResult['errors'] = [];
    for (const check of checks) {
      for (const [path, message] of Object.entries((await check(ownerId, graph)) ?? {})) problems.push({ path, code: 'UNKNOWN_REFERENCE', message });
    }
    return problems;
  };
  const validate: FlowService['validate'] = (raw) => {
    // Seed 001's `{name}` placeholders and loop fields are stored in the platform's syntax; each rewrite is a warning.
    const { graph, rewrites } = rewriteSeedSyntax(normalizeFlow({ nodes: raw.nodes ?? [], edges: raw.edges ?? [] }));
    const result = validateFlow(graph, { save: environment });
    result.warnings.unshift(...rewrites);
    const problems = raw.trigger && typeof raw.trigger === 'object' ? triggers.check(raw.trigger as FlowTrigger) : undefined;
    if (!problems) return { ...result, graph };
    const errors = [...result.errors, ...Object.entries(problems).map(([path, message]) => ({ path, code: 'INVALID_TRIGGER', message }))];
    return { ...result, valid: false, errors, graph };
  };
  /** The one validation pipeline: what `/workflows/validate` answers and what every save refuses (errors) or answers (warnings). */
  const validateOwned = async (ownerId: string, raw: { nodes?: unknown; edges?: unknown; trigger?: unknown }) => {
    const validated = validate(raw);
    const errors = [...validated.errors, ...(await ownerProblems(ownerId, validated.graph))];
    const warnings = [...validated.warnings, ...(await credentialWarnings(repos, ownerId, validated.graph.nodes))];
    return { ...validated, valid: errors.length === 0, errors, warnings };
  };

  /** 422 when the trigger's own rules refuse it (a cron expression, a time zone…). */
  const checkTrigger = (trigger: FlowTrigger | undefined, pathOf: (path: string) => string = (p) => p) => {
    const problems = trigger && triggers.check(trigger);
    if (problems) throw unprocessable('flow is invalid', Object.fromEntries(Object.entries(problems).map(([p, m]) => [pathOf(p), m])));
  };

  /** {@link validateOwned}, refusing the flow with 422 (every error, paths renamed by `pathOf`) when it has errors. */
  const checked = async (ownerId: string, raw: { nodes?: unknown; edges?: unknown; trigger?: unknown }, pathOf?: (path: string) => string) => {
    const r = await validateOwned(ownerId, raw);
    if (!r.valid) rejectInvalid(r, pathOf);
    return r;
  };

  /**
   * A save's answer: the flow, what its trigger reveals once, and the warnings `/workflows/validate`
   * gives for it (`warnings`, left out when there are none). Without `warnings` (a save that kept the
   * graph), they are those of the stored graph.
   */
  const finish = async (flow: FlowRow, previous: FlowRow | undefined, warnings?: ValidationResult['warnings']): Promise<SavedFlow> => {
    const saved = await triggers.saved(flow, previous);
    const found = warnings ?? (await validateOwned(flow.owner_id, { nodes: flow.nodes, edges: flow.edges })).warnings;
    return found.length ? Object.assign(saved, { warnings: found }) : saved;
  };

  /** Stores an edited graph: a new version when its executable part changed. */
  const saveEdit = async (actor: Actor, current: FlowRow, edit: EditedGraph, comment?: string): Promise<SavedFlow> => {
    const { graph, warnings } = await checked(current.owner_id, edit.graph, edit.pathOf);
    const hash = executableHash(graph);
    const updated = await repos.flows.update(
      current.id,
      { nodes: graph.nodes, edges: graph.edges },
      {
        ownerId: actor.ownerId,
        ...(hash !== executableHash(current) ? { newVersion: { author_id: actor.userId, comment: comment ?? null, definition_hash: hash } } : {}),
      },
    );
    if (!updated) throw notFound('workflow');
    return finish(updated, current, warnings);
  };

  const nodeIndex = (flow: FlowRow, nodeId: string): number => {
    const i = indexOfNode(flow.nodes, nodeId);
    if (i < 0) throw notFound(`node "${nodeId}"`);
    return i;
  };

  return {
    validate,

    async validateFor(actor, raw) {
      return validateOwned(actor.userId, raw);
    },

    async create(actor, input) {
      const { graph, warnings } = await checked(actor.userId, input);
      const created = await repos.flows.create({
        owner_id: actor.userId,
        name: input.name,
        description: input.description,
        status: input.status,
        enabled: input.enabled,
        trigger: input.trigger,
        settings: input.settings,
        nodes: graph.nodes,
        edges: graph.edges,
        author_id: actor.userId,
        comment: input.comment ?? 'created',
        definition_hash: executableHash(graph),
      });
      return finish(created, undefined, warnings);
    },

    async get(actor, id) {
      const flow = await repos.flows.get(id, { ownerId: actor.ownerId });
      if (!flow) throw notFound('workflow');
      return flow;
    },

    async update(actor, id, patch) {
      const current = await this.get(actor, id);
      const graphChanged = patch.nodes !== undefined || patch.edges !== undefined;
      let graph: FlowGraph | undefined;
      let warnings: ValidationResult['warnings'] | undefined;
      let newVersion = false;
      if (graphChanged) {
        ({ graph, warnings } = await checked(current.owner_id, { nodes: patch.nodes ?? current.nodes, edges: patch.edges ?? current.edges, trigger: patch.trigger }));
        newVersion = executableHash(graph) !== executableHash(current);
      } else {
        checkTrigger(patch.trigger);
      }
      const updated = await repos.flows.update(
        id,
        {
          name: patch.name,
          description: patch.description,
          status: patch.status,
          enabled: patch.enabled,
          trigger: patch.trigger,
          settings: patch.settings,
          nodes: graph?.nodes,
          edges: graph?.edges,
        },
        {
          ownerId: actor.ownerId,
          ...(newVersion && graph
            ? { newVersion: { author_id: actor.userId, comment: patch.comment ?? null, definition_hash: executableHash(graph) } }
            : {}),
        },
      );
      if (!updated) throw notFound('workflow');
      return finish(updated, current, warnings);
    },

    async remove(actor, id) {
      const current = await this.get(actor, id);
      if (!(await repos.flows.softDelete(id, { ownerId: actor.ownerId }))) throw notFound('workflow');
      await triggers.deleted(current);
    },

    async listVersions(actor, id) {
      const flow = await this.get(actor, id);
      return repos.flows.listVersions(flow.id);
    },

    async getVersion(actor, id, version) {
      const flow = await this.get(actor, id);
      const v = await repos.flows.getVersion(flow.id, version);
      if (!v) throw notFound(`version ${version}`);
      return v;
    },

    async rollback(actor, id, version, comment) {
      const current = await this.get(actor, id);
      const v = await this.getVersion(actor, id, version);
      // Re-validated: node types may have changed since the snapshot was taken.
      const { graph, warnings } = await checked(current.owner_id, { nodes: v.definition.nodes, edges: v.definition.edges }, (p) => `version.${p || '(root)'}`);
      const updated = await repos.flows.update(
        id,
        { nodes: graph.nodes, edges: graph.edges },
        {
          ownerId: actor.ownerId,
          newVersion: { author_id: actor.userId, comment: comment ?? `rollback to version ${version}`, definition_hash: executableHash(graph) },
        },
      );
      if (!updated) throw notFound('workflow');
      return finish(updated, current, warnings);
    },

    async exportFlow(actor, id, version) {
      const flow = await this.get(actor, id);
      const snapshot = version === undefined ? flow : { ...(await this.getVersion(actor, id, version)).definition, version };
      return {
        workflow: {
          name: flow.name,
          description: flow.description,
          status: flow.status,
          enabled: flow.enabled,
          trigger: snapshot.trigger,
          settings: snapshot.settings,
          nodes: snapshot.nodes,
          edges: snapshot.edges,
          version: snapshot.version,
        },
        exported_at: new Date().toISOString(),
        format_version: EXPORT_FORMAT_VERSION,
      };
    },

    async importFlow(actor, input) {
      // Refused here with paths under `workflow.`; create then checks the flow as sent, so the answer
      // carries the warnings of the flow as imported (seed syntax rewrites included).
      await checked(actor.userId, input, (p) => `workflow.${p || '(root)'}`);
      return this.create(actor, { ...input, comment: input.comment ?? 'imported' });
    },

    async createFromTemplate(actor, templateId, meta) {
      const t = getTemplate(templateId);
      if (!t) throw notFound(`template "${templateId}"`);
      return this.create(actor, {
        name: meta.name ?? t.name,
        description: meta.description ?? t.description,
        status: 'draft',
        enabled: true,
        trigger: t.trigger as FlowInput['trigger'],
        settings: { template_id: t.id },
        nodes: t.nodes,
        edges: t.edges,
        comment: `created from template ${t.id}`,
      });
    },

    async addNode(actor, id, body) {
      const current = await this.get(actor, id);
      const { edges, comment, ...node } = body;
      const taken = nodeIds(current.nodes);
      if (node.id !== undefined && taken.has(node.id)) throw conflict(`node "${node.id}" already exists`, { id: 'already used by another node' });
      const nodeId = node.id ?? freeNodeId(node.type, taken);
      return saveEdit(actor, current, addNode(current, { ...node, id: nodeId }, edges), comment ?? `added node ${nodeId}`);
    },

    async updateNode(actor, id, nodeId, body) {
      const current = await this.get(actor, id);
      const { comment, ...patch } = body;
      return saveEdit(actor, current, patchNode(current, nodeIndex(current, nodeId), patch), comment ?? `changed node ${nodeId}`);
    },

    async removeNode(actor, id, nodeId) {
      const current = await this.get(actor, id);
      return saveEdit(actor, current, removeNode(current, nodeIndex(current, nodeId)), `removed node ${nodeId}`);
    },
  };
}
