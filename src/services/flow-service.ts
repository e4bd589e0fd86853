import { z } from 'zod';
import { normalizeFlow } from '../nodes/normalize-flow';
import { validateFlow, type ValidationResult } from '../nodes/validate-flow';
import { hashDefinition, type FlowRow, type Repos } from '../storage';
import type { FlowEdge, FlowGraph, FlowNode } from '../shared/flow';
import { notFound, unprocessable } from '../api/errors';

/** A flow's trigger (DESIGN §2). */
export const triggerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('manual') }).strict(),
  z.object({ type: z.literal('cron'), schedule: z.string().min(1).max(200), timezone: z.string().max(64).optional() }).strict(),
  z.object({ type: z.literal('event'), event: z.string().min(1).max(200) }).strict(),
  z.object({ type: z.literal('webhook'), auth: z.enum(['token', 'hmac']).default('token') }).strict(),
]);

const flowFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(5000),
  status: z.enum(['draft', 'published', 'archived']),
  enabled: z.boolean(),
  trigger: triggerSchema,
  settings: z.record(z.unknown()),
  nodes: z.array(z.unknown()).max(5000),
  edges: z.array(z.unknown()).max(20000),
};

/** Body of `POST /workflows` and `PUT /workflows/{id}`. */
export const flowInputSchema = z.object({
  ...flowFields,
  description: flowFields.description.default(''),
  status: flowFields.status.default('draft'),
  enabled: flowFields.enabled.default(true),
  trigger: flowFields.trigger.default({ type: 'manual' }),
  settings: flowFields.settings.default({}),
  nodes: flowFields.nodes.default([]),
  edges: flowFields.edges.default([]),
  comment: z.string().max(1000).optional(),
});

/** Body of `PATCH /workflows/{id}`: any subset. */
export const flowPatchSchema = z.object({
  ...Object.fromEntries(Object.entries(flowFields).map(([k, v]) => [k, v.optional()])),
  comment: z.string().max(1000).optional(),
}) as unknown as z.ZodType<Partial<z.infer<typeof flowInputSchema>>>;

export type FlowInput = z.infer<typeof flowInputSchema>;

/** What a user who is acting may see: their own flows, or all of them for admins. */
export interface Actor {
  userId: string;
  /** undefined for admins. */
  ownerId?: string;
}

/**
 * The hash of what a run executes: node labels and positions are left out, so renaming or
 * moving a node does not make a new version.
 */
export function executableHash(graph: FlowGraph): string {
  return hashDefinition({
    nodes: graph.nodes.map(({ label: _l, position: _p, ...rest }: FlowNode) => rest),
    edges: graph.edges.map(({ id: _id, ...rest }: FlowEdge) => rest),
  });
}

/** Turns validation problems into a 422 whose details map each path to its message. */
function rejectInvalid(result: ValidationResult): never {
  const details: Record<string, string> = {};
  for (const e of result.errors) details[e.path || '(root)'] ??= e.message;
  throw unprocessable('flow is invalid', details);
}

/** Flow CRUD and versions; routes call it after authenticating. */
export interface FlowService {
  validate(raw: { nodes?: unknown; edges?: unknown }): ValidationResult & { graph: FlowGraph };
  create(actor: Actor, input: FlowInput): Promise<FlowRow>;
  get(actor: Actor, id: string): Promise<FlowRow>;
  update(actor: Actor, id: string, patch: Partial<FlowInput>): Promise<FlowRow>;
  remove(actor: Actor, id: string): Promise<void>;
}

/** Creates the flow service over the repositories. */
export function createFlowService({ repos }: { repos: Repos }): FlowService {
  const validate: FlowService['validate'] = (raw) => {
    const graph = normalizeFlow({ nodes: raw.nodes ?? [], edges: raw.edges ?? [] });
    return { ...validateFlow(graph), graph };
  };

  const checked = (raw: { nodes?: unknown; edges?: unknown }): FlowGraph => {
    const r = validate(raw);
    if (!r.valid) rejectInvalid(r);
    return r.graph;
  };

  return {
    validate,

    async create(actor, input) {
      const graph = checked(input);
      return repos.flows.create({
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
      let newVersion = false;
      if (graphChanged) {
        graph = checked({ nodes: patch.nodes ?? current.nodes, edges: patch.edges ?? current.edges });
        newVersion = executableHash(graph) !== executableHash(current);
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
      return updated;
    },

    async remove(actor, id) {
      if (!(await repos.flows.softDelete(id, { ownerId: actor.ownerId }))) throw notFound('workflow');
    },
  };
}
