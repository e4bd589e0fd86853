import { BUILTIN_TOOLS, BUILTIN_TOOL_NAMES, builtinTool } from '../../nodes/tools/builtin-tools';
import type { ToolProvider, UserTool } from '../../nodes/tools/tool-types';
import { notFound, unprocessable, conflict } from '../../shared/errors';
import { UniqueViolationError, type Repos, type ToolHttp, type ToolRow } from '../../storage';
import type { Actor } from '../actor';
import type { NodeTestRequest, NodeTestResult } from '../node-test';
import { unknownToolCheck } from './tool-references';

/** A tool as the API shows it. */
export interface ToolView {
  id: string;
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  http: ToolHttp;
  created_at: string;
  updated_at: string;
}

/** What creating or replacing a tool takes (the API has checked the shapes, schema included). */
export interface ToolInput {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  http: ToolHttp;
}

/** A built-in tool as `GET /tools/builtin` lists it. */
export interface BuiltinToolView {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
}

/** What `POST /tools/{id}/test` answers. */
export interface ToolTestResult {
  success: boolean;
  output: unknown;
  error: NodeTestResult['error'];
  duration_ms: number;
}

/** What the tool service needs. */
export interface ToolServiceDeps {
  repos: Repos;
  /** Runs one node through Temporal (the run service's node test): a tool test is a `tool-call` node. */
  testNode(actor: Actor, req: NodeTestRequest): Promise<NodeTestResult>;
}

const view = ({ owner_id: _owner, ...row }: ToolRow): ToolView => row;

/** Extra time a tool test gets beyond its request's own timeout (a worker picking it up, retries of a lookup). */
const TEST_SLACK_MS = 15_000;

/**
 * User-defined HTTP tools (docs/api-tools.md): an owner's tools, called by name from `tool-call`
 * nodes and agents. A tool belongs to the user who made it; nobody else sees it, admins included
 * (its runs are its owner's). Also the worker's view of them ({@link ToolService.provider}) and
 * the flow check that refuses unknown tool names at save time.
 */
export function createToolService(deps: ToolServiceDeps) {
  const { repos } = deps;
  const mine = (actor: Actor) => ({ ownerId: actor.userId });

  function checkName(name: string): void {
    if (builtinTool(name)) throw unprocessable('tool name is taken by a built-in tool', { name: `"${name}" is a built-in tool; choose another name` });
  }

  function checkSchema(schema: Record<string, unknown>): void {
    // Agents offer a tool to the model as a function, whose parameters are always a JSON object.
    if (schema.type !== 'object') throw unprocessable('input_schema must describe an object', { input_schema: 'must have "type": "object"' });
  }

  async function own(actor: Actor, id: string): Promise<ToolRow> {
    const row = await repos.tools.get(id, mine(actor));
    if (!row) throw notFound('tool');
    return row;
  }

  const nameTaken = (name: string) => conflict(`a tool named "${name}" already exists`, { name: 'already used by another of your tools' });

  return {
    async create(actor: Actor, input: ToolInput): Promise<ToolView> {
      checkName(input.name);
      checkSchema(input.input_schema);
      try {
        return view(await repos.tools.create({ owner_id: actor.userId, ...input }));
      } catch (err) {
        if (err instanceof UniqueViolationError) throw nameTaken(input.name);
        throw err;
      }
    },

    async list(actor: Actor, page: { skip: number; limit: number }) {
      const result = await repos.tools.list({ ...mine(actor), ...page });
      return { items: result.items.map(view), total: result.total };
    },

    async get(actor: Actor, id: string): Promise<ToolView> {
      return view(await own(actor, id));
    },

    /** Replaces the tool's definition. Flows that name it by its old name fail when they next run (the name is checked at save time). */
    async update(actor: Actor, id: string, input: ToolInput): Promise<ToolView> {
      await own(actor, id);
      checkName(input.name);
      checkSchema(input.input_schema);
      try {
        const row = await repos.tools.update(id, input, mine(actor));
        if (!row) throw notFound('tool');
        return view(row);
      } catch (err) {
        if (err instanceof UniqueViolationError) throw nameTaken(input.name);
        throw err;
      }
    },

    async remove(actor: Actor, id: string): Promise<void> {
      if (!(await repos.tools.delete(id, mine(actor)))) throw notFound('tool');
    },

    /** The built-in tools with their input schemas, by name. */
    builtin(): BuiltinToolView[] {
      return BUILTIN_TOOL_NAMES.map((name) => ({ name, description: BUILTIN_TOOLS[name].description, input_schema: BUILTIN_TOOLS[name].input_schema }));
    },

    /**
     * Calls the tool once with `input`, as a one-node `tool-call` flow on the worker (so its
     * credential, the address guard and the input check behave as in a run).
     */
    async test(actor: Actor, id: string, input: unknown): Promise<ToolTestResult> {
      const tool = await own(actor, id);
      const result = await deps.testNode(actor, {
        type: 'tool-call',
        // The input travels as the run's input: nothing in it is read as a {{ }} template.
        data: { tool: tool.name, input: '{{ input }}' },
        input: input ?? {},
        timeout_ms: (tool.http.timeout_ms ?? 30_000) + TEST_SLACK_MS,
      });
      const output = result.output as { result?: unknown } | null;
      return { success: result.success, output: result.success ? (output?.result ?? null) : null, error: result.error, duration_ms: result.duration_ms };
    },

    /** The worker's view of the owners' tools (`NodeServices.tools`). */
    provider(): ToolProvider {
      return {
        async resolve(ownerId, name) {
          const row = await repos.tools.getByName(ownerId, name);
          return row && ({ id: row.id, name: row.name, description: row.description, input_schema: row.input_schema, http: row.http } as UserTool);
        },
      };
    },

    /** Refuses flows that name a tool that is neither built in nor the owner's. */
    flowCheck: unknownToolCheck(repos),
  };
}

/** User-defined tools: CRUD, tests, the worker's provider and the save-time check. */
export type ToolService = ReturnType<typeof createToolService>;
