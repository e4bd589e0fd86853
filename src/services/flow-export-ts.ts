/**
 * `GET /workflows/{id}/export?format=typescript`: a flow written out as one standalone Temporal
 * workflow file (docs/export-typescript.md). Control nodes become code — straight-line `await`s,
 * `Promise.all` for parallel branches, `if`/`switch` on ports, loops as loops — and activity nodes
 * call the platform's node activities by name on the platform's task queue, exactly as the
 * interpreter calls them, so the exported workflow keeps running on the platform's workers.
 *
 * This file checks the flow and answers the export; the code is written by FlowWriter
 * (flow-export-ts-writer*.ts), the file around it by flow-export-ts-file.ts, and the helpers the
 * code calls come from flow-export-ts-runtime*.ts.
 */
import { compileFlow } from '../nodes/compile-flow';
import { FlowValidationError } from '../nodes/validate-flow';
import { unprocessable } from '../shared/errors';
import type { CompiledFlow, CompiledNode, FlowGraph } from '../shared/flow';
import { assemble, functionName, type TypeScriptExportOptions } from './flow-export-ts-file';
import { FlowWriter } from './flow-export-ts-writer';
import type { Actor } from './actor';
import type { FlowService } from './flow-service';

export { functionName, type TypeScriptExportOptions } from './flow-export-ts-file';

/** Control node types the generator writes as code; any other control type is refused. */
const CONTROL_TYPES = new Set([
  'start',
  'end',
  'condition',
  'switch',
  'transform',
  'set',
  'delay',
  'approval',
  'wait-event',
  'terminate',
  'loop',
  'sub-flow',
]);

const REFUSED: Record<string, string> = {
  agent:
    'agent nodes are interpreted by the platform (one activity per model call and per tool call) and cannot be exported; move the agent into a flow of its own and call it with a sub-flow node',
};

/** A stored flow's head (or `version`) as a TypeScript file: what `?format=typescript` answers. */
export async function typescriptExport(
  flows: Pick<FlowService, 'get' | 'exportFlow'>,
  actor: Actor,
  id: string,
  version: number | undefined,
  taskQueue: string,
): Promise<{ filename: string; code: string }> {
  const flow = await flows.get(actor, id);
  const doc = await flows.exportFlow(actor, id, version);
  const options = { name: flow.name, flowId: flow.id, version: doc.workflow.version, ownerId: flow.owner_id, taskQueue };
  const code = exportFlowAsTypeScript({ nodes: doc.workflow.nodes, edges: doc.workflow.edges }, options);
  return { filename: `${functionName(flow.name).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}.ts`, code };
}

/**
 * Writes `flow` (a stored graph, or its compiled definition) as a TypeScript Temporal workflow.
 * @throws Invalid (422) naming every node that cannot be exported, with its path as the key.
 */
export function exportFlowAsTypeScript(flow: FlowGraph | CompiledFlow, options: TypeScriptExportOptions): string {
  const compiled = isCompiled(flow) ? flow : compileOr422(flow);
  const problems: Record<string, string> = {};
  checkNodes(compiled, 'nodes', problems);
  if (Object.keys(problems).length) throw refusal(problems);
  const writer = new FlowWriter(compiled);
  const body = writer.workflowBody();
  if (Object.keys(writer.problems).length) throw refusal(writer.problems);
  return assemble(options, body, writer.helpers);
}

function compileOr422(flow: FlowGraph): CompiledFlow {
  try {
    return compileFlow(flow);
  } catch (err) {
    if (!(err instanceof FlowValidationError)) throw err;
    throw unprocessable('flow is invalid and cannot be exported', Object.fromEntries(err.errors.map((e) => [e.path, e.message])));
  }
}

function refusal(problems: Record<string, string>) {
  const first = Object.values(problems)[0];
  return unprocessable(`this flow cannot be exported as TypeScript: ${first}`, problems);
}

function isCompiled(flow: FlowGraph | CompiledFlow): flow is CompiledFlow {
  return flow.nodes.every((n) => 'exec' in n && (n as CompiledNode).exec !== undefined);
}

function checkNodes(graph: CompiledFlow, path: string, problems: Record<string, string>): void {
  graph.nodes.forEach((node, i) => {
    const where = `${path}[${i}]`;
    const refused = REFUSED[node.type];
    if (refused) problems[`${where}.type`] = `node ${node.id}: ${refused}`;
    else if (node.exec.kind === 'control' && !CONTROL_TYPES.has(node.type)) {
      problems[`${where}.type`] = `node ${node.id}: ${node.type} nodes have no TypeScript form yet`;
    }
    if (node.type === 'loop') checkNodes(node.data.body as CompiledFlow, `${where}.data.body.nodes`, problems);
  });
}
