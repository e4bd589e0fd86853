import type { ValidationResult } from '../nodes/validate-flow';
import type { FlowRow, Repos } from '../storage';
import type { FlowGraph } from '../shared/flow';
import { conflict, notFound } from '../shared/errors';
import type { Actor } from './actor';
import { getTemplate } from '../templates';
import { addNode, freeNodeId, indexOfNode, nodeIds, patchNode, removeNode, type EditedGraph } from './node-edits';
import { combineTriggerHandlers, type FlowGraphCheck, type FlowTriggerHandler, type SavedFlow } from './flow-triggers';
import { executableHash } from './executable-hash';
import { createFlowValidation } from './flow-validation';
import { EXPORT_FORMAT_VERSION, type FlowEnvironment, type FlowInput, type FlowService } from './flow-service-types';

export type { FlowGraphCheck, FlowTriggerHandler, SavedFlow } from './flow-triggers';
export { executableHash } from './executable-hash';
export {
  EXPORT_FORMAT_VERSION,
  type FlowEnvironment,
  type FlowExport,
  type FlowInput,
  type FlowService,
  type NodeAddInput,
  type NodePatchInput,
} from './flow-service-types';

export type { Actor } from './actor';

/** A deployment with nothing configured and no private host allowed (the defaults of src/config.ts). */
const BARE_ENVIRONMENT: FlowEnvironment = { httpAllowedHosts: [], llmConfigured: false, smtpConfigured: false };

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
  const { validate, validateOwned, checkTrigger, checked } = createFlowValidation({ repos, triggers, checks, environment });

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
