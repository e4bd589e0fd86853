import { builtinTool } from '../../nodes/tools/builtin-tools';
import { unknownToolMessage } from '../../nodes/tools/run-tool';
import type { FlowGraph } from '../../shared/flow';
import { hasTemplate } from '../../shared/template-syntax';
import type { Repos } from '../../storage';
import type { FlowGraphCheck } from '../flow-triggers';

/** One place a flow names a tool. */
export interface ToolRef {
  /** As validation paths go: `nodes[2].data.tool`, `nodes[0].data.body.nodes[1].data.tool`, `nodes[3].data.tools[1]`. */
  path: string;
  name: string;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const literal = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '' && !hasTemplate(v);

/**
 * Every literal tool name of a (normalised) graph: `tool-call` nodes' `tool` and `agent` nodes'
 * `tools`, loop bodies included. Templated names are known only when the run renders them.
 */
export function toolRefs(nodes: unknown, base = ''): ToolRef[] {
  if (!Array.isArray(nodes)) return [];
  const refs: ToolRef[] = [];
  nodes.forEach((node, i) => {
    if (!isObject(node) || !isObject(node.data)) return;
    const path = `${base ? `${base}.` : ''}nodes[${i}].data`;
    if (node.type === 'tool-call' && literal(node.data.tool)) refs.push({ path: `${path}.tool`, name: node.data.tool.trim() });
    if (node.type === 'agent' && Array.isArray(node.data.tools)) {
      node.data.tools.forEach((t, k) => {
        if (literal(t)) refs.push({ path: `${path}.tools[${k}]`, name: t.trim() });
      });
    }
    if (node.type === 'loop' && isObject(node.data.body)) refs.push(...toolRefs(node.data.body.nodes, `${path}.body`));
  });
  return refs;
}

/**
 * The flow check that refuses a tool a node names when it is neither built in nor one of the
 * owner's (`/api/v1/tools`): a flow is refused at save time rather than failing when it runs.
 */
export function unknownToolCheck(repos: Repos): FlowGraphCheck {
  return async (ownerId: string, graph: FlowGraph) => {
    const refs = toolRefs(graph.nodes).filter((r) => !builtinTool(r.name));
    if (refs.length === 0) return undefined;
    const own = new Set(await repos.tools.names(ownerId));
    const unknown = refs.filter((r) => !own.has(r.name));
    return unknown.length ? Object.fromEntries(unknown.map((r) => [r.path, unknownToolMessage(r.name)])) : undefined;
  };
}
