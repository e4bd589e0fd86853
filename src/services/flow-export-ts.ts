/**
 * `GET /workflows/{id}/export?format=typescript`: a flow written out as one standalone Temporal
 * workflow file (docs/export-typescript.md). Control nodes become code — straight-line `await`s,
 * `Promise.all` for parallel branches, `if`/`switch` on ports, loops as loops — and activity nodes
 * call the platform's node activities by name on the platform's task queue, exactly as the
 * interpreter calls them, so the exported workflow keeps running on the platform's workers.
 */
import { compileFlow } from '../nodes/compile-flow';
import { FlowValidationError } from '../nodes/validate-flow';
import { unprocessable } from '../shared/errors';
import type { CompiledFlow, CompiledNode, FlowEdge, FlowGraph } from '../shared/flow';
import { quoteHyphenatedNames } from '../shared/hyphenated-names';
import { hasTemplate, splitTemplate } from '../shared/template-syntax';
import { alwaysReaches, analyseGraph, EXIT, possiblePorts, ROOT, type ExportGraph } from './flow-export-ts-graph';
import { helperCode, type HelperName } from './flow-export-ts-runtime';
import type { Actor } from './actor';
import type { FlowService } from './flow-service';

/** What the exported file says about where it came from and where it runs its activities. */
export interface TypeScriptExportOptions {
  /** The flow's name: the header, and the workflow function's name unless `functionName` is given. */
  name: string;
  flowId: string;
  version: number;
  /** The flow's owner: node activities resolve credentials, tools and data sources of this user. */
  ownerId: string;
  /** The platform's task queue, where its workers run the node activities. */
  taskQueue: string;
  functionName?: string;
  exportedAt?: string;
}

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

/** How a node's port is known once its code has run. */
type Port = { literal: string } | { truthy: string } | { expr: string };

/** One graph being written: the top level or a loop body. */
interface Scope {
  g: ExportGraph;
  /** A TypeScript template-literal fragment prefixed to activity ids (`each/${index}/`). */
  activityPrefix: string;
  /** Loop nesting depth (names the index parameter). */
  depth: number;
  /** Joins being written, by node id: the set recording which parents reached it, or null when none is needed. */
  joins: Map<string, string | null>;
  emitted: Set<string>;
  /** Nodes whose code runs on every path (no `if` around them). */
  certain: Set<string>;
  /** Each node's path in the definition (`nodes[2]`, `nodes[1].data.body.nodes[0]`), for refusals. */
  paths: Map<string, string>;
}

const INDENT = '  ';

/** Writes the statements of a workflow from a compiled graph. */
class FlowWriter {
  readonly problems: Record<string, string> = {};
  readonly helpers = new Set<HelperName>(['newContext']);
  private readonly hyphenated: Set<string>;
  private readonly names = new Set<string>(['ctx', 'input', 'trigger', 'approvals', 'events', 'item', 'index']);
  private lines: string[] = [];
  private depth = 1;
  private base64 = false;

  constructor(private readonly flow: CompiledFlow) {
    const ids = new Set<string>();
    const collect = (graph: CompiledFlow) => {
      for (const n of graph.nodes) {
        ids.add(n.id);
        if (n.type === 'loop') collect(n.data.body as CompiledFlow);
      }
    };
    collect(flow);
    this.hyphenated = new Set([...ids].filter((id) => id.includes('-')));
  }

  /** The statements of the workflow function, indented one level. */
  workflowBody(): string[] {
    const types = new Set<string>();
    const collect = (graph: CompiledFlow) => {
      for (const n of graph.nodes) {
        types.add(n.type);
        if (n.type === 'loop') collect(n.data.body as CompiledFlow);
      }
    };
    collect(this.flow);
    this.line('const ctx = newContext(input, trigger);');
    if (types.has('approval')) {
      this.helpers.add('approvals');
      this.line('const approvals = listenForApprovals();');
    }
    if (types.has('wait-event')) {
      this.helpers.add('events');
      this.line('const events = listenForEvents();');
    }
    const terminates = types.has('terminate');
    if (terminates) {
      this.helpers.add('terminate');
      this.line('try {');
      this.depth++;
    }
    this.graph(this.flow, '', 0, 'nodes');
    if (terminates) {
      this.depth--;
      this.line('} catch (err) {');
      this.line(`${INDENT}if (err instanceof Terminated) return err.finish();`);
      this.line(`${INDENT}throw err;`);
      this.line('}');
    }
    this.helpers.add(this.base64 ? 'registerBase64' : 'registerNone');
    if (!this.helpers.has('evaluate')) this.helpers.delete(this.base64 ? 'registerBase64' : 'registerNone');
    return this.lines;
  }

  /** Writes a graph's nodes, then `return` of its result. */
  private graph(flow: CompiledFlow, activityPrefix: string, depth: number, path: string): void {
    const scope: Scope = {
      g: analyseGraph(flow),
      activityPrefix,
      depth,
      joins: new Map(),
      emitted: new Set(),
      certain: new Set(),
      paths: new Map(flow.nodes.map((n, i) => [n.id, `${path}[${i}]`])),
    };
    this.after(scope, ROOT, EXIT, true, { literal: 'default' });
    for (const n of flow.nodes) if (scope.g.reachable.has(n.id) && !scope.emitted.has(n.id)) this.unstructured(scope, n.id);
    const ends = flow.nodes.filter((n) => n.type === 'end' && scope.g.reachable.has(n.id)).map((n) => n.id);
    if (ends.length === 1 && scope.certain.has(ends[0])) {
      this.line(`return ${ref(ends[0])}.result;`);
      return;
    }
    const withOutgoing = new Set(flow.edges.map((e) => e.source));
    const sinks = flow.nodes.filter((n) => !withOutgoing.has(n.id) && scope.g.reachable.has(n.id)).map((n) => n.id);
    this.helpers.add('flowOutput');
    this.line(`return flowOutput(ctx, ${list(ends)}, ${list(sinks)});`);
  }

  /** Writes node `id` and everything after it up to `stop`. */
  private chain(scope: Scope, id: string, stop: string, certain: boolean): void {
    if (scope.emitted.has(id)) {
      this.unstructured(scope, id);
      return;
    }
    scope.emitted.add(id);
    if (certain) scope.certain.add(id);
    const node = scope.g.nodes.get(id) as CompiledNode;
    const port = this.node(scope, node);
    this.after(scope, id, stop, certain, port);
  }

  /** Writes what follows `from` (which has just run and taken `port`) up to `stop`. */
  private after(scope: Scope, from: string, stop: string, certain: boolean, port: Port): void {
    const g = scope.g;
    const edges: FlowEdge[] =
      from === ROOT ? g.roots.map((r) => ({ source: ROOT, target: r, source_handle: 'default' })) : (g.outgoing.get(from) ?? []);
    if (edges.length === 0) return;
    const ports = from === ROOT ? ['default'] : possiblePorts(g.nodes.get(from) as CompiledNode);
    const join = g.ipdom.get(from) ?? EXIT;
    const joinAfter = join !== EXIT && join !== stop && (g.incoming.get(join) ?? []).length > 1;
    const meet = joinAfter ? join : stop;
    const guarded = joinAfter && !alwaysReaches(g, from, join);
    if (joinAfter) {
      const joinNode = g.nodes.get(join) as CompiledNode;
      const parents = new Set((g.incoming.get(join) ?? []).map((e) => e.source));
      // The set answers "was the join reached?" and "from which parents?" (its `prev`): write it only when asked.
      const set = guarded || (parents.size > 1 && this.needsUpstream(joinNode)) ? this.name(`${camel(join)}From`) : null;
      scope.joins.set(join, set);
      if (set) this.line(`const ${set} = new Set<string>();`);
    }
    const groups = ports
      .map((p) => [p, edges.filter((e) => (e.source_handle ?? 'default') === p)] as const)
      .filter(([, es]) => es.length > 0);
    const branch = (es: readonly FlowEdge[], sure: boolean) => this.branches(scope, from, es, meet, sure);
    if (ports.length === 1) branch(groups[0][1], certain);
    else if ('truthy' in port && groups.every(([p]) => p === 'true' || p === 'false')) {
      const onTrue = groups.find(([p]) => p === 'true')?.[1];
      const onFalse = groups.find(([p]) => p === 'false')?.[1];
      this.block(onTrue ? `if (${port.truthy}) {` : `if (!${port.truthy}) {`, () => branch((onTrue ?? onFalse) as FlowEdge[], false));
      if (onTrue && onFalse) this.block('} else {', () => branch(onFalse, false));
      this.line('}');
    } else {
      const value = 'literal' in port ? quote(port.literal) : 'truthy' in port ? `(${port.truthy} ? 'true' : 'false')` : port.expr;
      if (groups.length === 1) {
        this.block(`if (${value} === ${quote(groups[0][0])}) {`, () => branch(groups[0][1], false));
        this.line('}');
      } else if (groups.length === 2 && ports.length === 2) {
        this.block(`if (${value} === ${quote(groups[0][0])}) {`, () => branch(groups[0][1], false));
        this.block('} else {', () => branch(groups[1][1], false));
        this.line('}');
      } else {
        this.block(`switch (${value}) {`, () => {
          for (const [p, es] of groups) {
            this.block(`case ${quote(p)}: {`, () => {
              branch(es, false);
              this.line('break;');
            });
            this.line('}');
          }
        });
        this.line('}');
      }
    }
    if (!joinAfter) return;
    if (!guarded) {
      this.chain(scope, join, stop, certain);
    } else {
      this.block(`if (${scope.joins.get(join)}.size > 0) {`, () => this.chain(scope, join, stop, false));
      this.line('}');
    }
  }

  /** Writes the edges of one port: joins they reach are recorded, branches run (in parallel when several). */
  private branches(scope: Scope, from: string, edges: readonly FlowEdge[], meet: string, certain: boolean): void {
    const starts: string[] = [];
    for (const e of edges) {
      if (e.target === meet) {
        const set = scope.joins.get(meet);
        if (set === undefined || from === ROOT) this.unstructured(scope, e.target);
        else if (set) this.line(`${set}.add(${quote(from)});`);
      } else if ((scope.g.incoming.get(e.target) ?? []).length === 1 || from === ROOT) {
        if (!starts.includes(e.target)) starts.push(e.target);
      } else {
        this.unstructured(scope, e.target);
      }
    }
    if (starts.length === 1) {
      this.chain(scope, starts[0], meet, certain);
      return;
    }
    if (starts.length === 0) return;
    this.block('await Promise.all([', () => {
      for (const start of starts) {
        this.block('(async () => {', () => this.chain(scope, start, meet, certain));
        this.line('})(),');
      }
    });
    this.line(']);');
  }

  /** Writes one node's code; returns how its port is known. */
  private node(scope: Scope, node: CompiledNode): Port {
    const label = node.label ? ` "${node.label.replace(/\s+/g, ' ').slice(0, 80)}"` : '';
    this.line(`// ${node.id} (${node.type})${label}`);
    const onError = node.on_error ?? 'fail';
    if (onError === 'fail' || node.type === 'terminate') return this.nodeCode(scope, node);
    this.helpers.add('describe');
    const portVar = this.name(`${camel(node.id)}Port`);
    const ports = possiblePorts(node);
    const tracked = onError === 'route' || !(ports.length === 1 && ports[0] === 'default');
    if (tracked) this.line(`let ${portVar} = 'default';`);
    this.block('try {', () => {
      const port = this.nodeCode(scope, node);
      if (tracked && !('literal' in port && port.literal === 'default')) {
        this.line(`${portVar} = ${'literal' in port ? quote(port.literal) : 'truthy' in port ? `${port.truthy} ? 'true' : 'false'` : port.expr};`);
      }
    });
    this.block('} catch (err) {', () => {
      this.line('if (isCancellation(err)) throw err;');
      this.line(`${ref(node.id)} = { result: null, error: describe(err) };`);
      if (onError === 'route') this.line(`${portVar} = 'error';`);
    });
    this.line('}');
    return tracked ? { expr: portVar } : { literal: 'default' };
  }

  private nodeCode(scope: Scope, node: CompiledNode): Port {
    const target = ref(node.id);
    const up = this.upstream(scope, node);
    const ctxFor = this.readsPrev(node) ? `{ ...ctx, prev: ${up.prev ?? 'null'} }` : 'ctx';
    const path = `node ${node.id}`;
    if (node.exec.kind === 'activity') {
      this.helpers.add('callNode');
      const raw = new Set(node.exec.raw_fields ?? []);
      const data = this.value(node.data, ctxFor, path, (key) => raw.has(key));
      const ident = [`id: ${quote(node.id)}`, `type: ${quote(node.type)}`];
      if (node.label !== undefined) ident.push(`label: ${quote(node.label)}`);
      if (scope.activityPrefix) ident.push(`activityId: \`${scope.activityPrefix}${escapeTemplate(node.id)}\``);
      const args = [`{ ${ident.join(', ')} }`, data, up.input, activityOptions(node)];
      if (node.exec.needs_context) args.push(`{ ...ctx, prev: ${up.prev ?? 'null'} }`);
      this.call(`${target} = await callNode(`, args, ');');
      return { literal: 'default' };
    }
    switch (node.type) {
      case 'start':
        this.helpers.add('output');
        this.line(`${target} = output(ctx.input);`);
        return { literal: 'default' };
      case 'end':
        this.helpers.add('output');
        if (node.data.output === undefined) this.line(`${target} = output(${up.input});`);
        else this.call(`${target} = output(`, [this.value(node.data.output, ctxFor, path)], ');');
        return { literal: 'default' };
      case 'condition':
        this.helpers.add('output').add('truthy');
        this.line(`${target} = output(truthy(${this.evaluate(String(node.data.expression), ctxFor, path)}));`);
        return { truthy: `${target}.result` };
      case 'switch': {
        this.helpers.add('output').add('truthy');
        const cases = (node.data.cases ?? []) as { name: string; expression: string }[];
        this.line(`${target} = output(`);
        for (const c of cases) this.line(`${INDENT}truthy(${this.evaluate(c.expression, ctxFor, path)}) ? ${quote(c.name)} :`);
        this.line(`${INDENT}'default',`);
        this.line(');');
        return { expr: `${target}.result` };
      }
      case 'transform':
        this.helpers.add('output');
        this.line(`${target} = output(${this.evaluate(String(node.data.expression), ctxFor, path)});`);
        return { literal: 'default' };
      case 'set':
        this.helpers.add('output');
        this.call(`${target} = output(`, [this.value(node.data.values ?? {}, ctxFor, path)], ');');
        this.line(`Object.assign(ctx.vars, ${target}.result);`);
        return { literal: 'default' };
      case 'delay':
        this.helpers.add('delay');
        this.call(`${target} = await delay(`, [quote(node.label ?? node.id), this.value(node.data, ctxFor, path)], ');');
        return { literal: 'default' };
      case 'approval':
        this.helpers.add('output');
        this.call(`${target} = output(await waitForApproval(`, ['approvals', quote(node.id), this.value(node.data, ctxFor, path)], '));');
        return { expr: `(${target}.result.outcome ?? ${target}.result.decision)` };
      case 'wait-event': {
        this.helpers.add('output');
        const event = this.name(`${camel(node.id)}Event`);
        this.call(`const ${event} = await waitForEvent(`, ['events', this.value(node.data, ctxFor, path)], ');');
        this.line(`${target} = output(${event} ? ${event}.data : null);`);
        return { expr: `(${event} ? 'default' : 'timeout')` };
      }
      case 'terminate':
        this.call('throw new Terminated(', [this.value(node.data, ctxFor, path)], ');');
        return { literal: 'default' };
      case 'sub-flow':
        this.helpers.add('subFlow');
        this.call(`${target} = await subFlow(`, [this.value(node.data, ctxFor, path), up.input], ');');
        return { literal: 'default' };
      case 'loop':
        this.loop(scope, node, target, ctxFor, path);
        return { literal: 'default' };
      default:
        this.problems[path] = `node ${node.id}: ${node.type} nodes have no TypeScript form yet`;
        return { literal: 'default' };
    }
  }

  private loop(scope: Scope, node: CompiledNode, target: string, ctxFor: string, path: string): void {
    this.helpers.add('loop');
    const index = scope.depth === 0 ? 'index' : `index${scope.depth + 1}`;
    const concurrency = Math.max(1, Math.min(50, Number(node.data.concurrency ?? 1)));
    const errorHandling = node.data.error_handling === 'continue' ? 'continue' : 'stop';
    const items = this.value(node.data.items, ctxFor, path);
    this.line(`${target} = await loop(ctx, ${items}, { concurrency: ${concurrency}, error_handling: '${errorHandling}' }, async (ctx, _item, ${index}) => {`);
    this.depth++;
    this.graph(node.data.body as CompiledFlow, `${scope.activityPrefix}${escapeTemplate(node.id)}/\${${index}}/`, scope.depth + 1, `${path}.data.body.nodes`);
    this.depth--;
    this.line('});');
  }

  /** The node's upstream output (`prev`) and its upstream input (the run's input without a parent). */
  private upstream(scope: Scope, node: CompiledNode): { prev?: string; input: string } {
    const parents = [...new Set((scope.g.incoming.get(node.id) ?? []).map((e) => e.source))];
    if (parents.length === 0) return { input: 'ctx.input' };
    if (parents.length === 1) return { prev: ref(parents[0]), input: ref(parents[0]) };
    const set = scope.joins.get(node.id);
    if (!set || !this.needsUpstream(node)) return { prev: 'null', input: 'ctx.input' };
    this.helpers.add('upstream');
    const prev = this.name(`${camel(node.id)}Prev`);
    this.line(`const ${prev} = upstream(ctx, ${list(parents)}, ${set});`);
    return { prev, input: prev };
  }

  private needsUpstream(node: CompiledNode): boolean {
    if (node.exec.kind === 'activity' || this.readsPrev(node)) return true;
    return (node.type === 'end' && node.data.output === undefined) || (node.type === 'sub-flow' && node.data.input === undefined);
  }

  /** Whether the node's expressions read `prev` (or the whole context, which holds it). */
  private readsPrev(node: CompiledNode): boolean {
    const reads = node.exec.reads;
    return reads === undefined ? node.type !== 'start' : reads.includes('prev');
  }

  /** Code for `value` with every `{{ }}` template evaluated (`raw` keys at the top level are kept as written). */
  private value(value: unknown, ctxFor: string, path: string, raw: (key: string) => boolean = () => false, level = 0): string {
    if (typeof value === 'string') return hasTemplate(value) ? this.template(value, ctxFor, path) : quote(value);
    if (Array.isArray(value)) {
      const items = value.map((v) => this.value(v, ctxFor, path, undefined, level + 1));
      return wrap('[', items, ']', this.depth + level);
    }
    if (value && typeof value === 'object') {
      const entries = Object.entries(value).map(([k, v]) => {
        const code = level === 0 && raw(k) ? literal(v, this.depth + level + 1) : this.value(v, ctxFor, path, undefined, level + 1);
        return `${key(k)}: ${code}`;
      });
      return wrap('{ ', entries, ' }', this.depth + level);
    }
    return value === undefined ? 'undefined' : JSON.stringify(value);
  }

  private template(text: string, ctxFor: string, path: string): string {
    const split = splitTemplate(text);
    if (split.unclosedAt !== undefined) {
      this.problems[path] = `${path}: a \`{{\` at offset ${split.unclosedAt} has no matching \`}}\``;
      return quote(text);
    }
    if (split.whole && split.parts[0].kind === 'expression') return this.evaluate(split.parts[0].source, ctxFor, path);
    this.helpers.add('text');
    let out = '`';
    for (const part of split.parts) {
      out += part.kind === 'text' ? escapeTemplate(part.text) : `\${text(${this.evaluate(part.source, ctxFor, path)})}`;
    }
    return `${out}\``;
  }

  private evaluate(expression: string, ctxFor: string, path: string): string {
    if (expression.trim() === '') this.problems[path] = `${path}: an empty expression`;
    if (expression.includes('$base64')) this.base64 = true;
    this.helpers.add('evaluate');
    const source = quoteHyphenatedNames(expression, (name) => this.hyphenated.has(name)).source;
    return `await evaluate(${quote(source)}, ${ctxFor})`;
  }

  private unstructured(scope: Scope, id: string): void {
    this.problems[scope.paths.get(id) ?? id] ??=
      `node ${id} joins branches that do not all start at one node: exported code writes branches as nested blocks that meet again, so this graph has no such form`;
  }

  /** A unique local name. */
  private name(wanted: string): string {
    let name = wanted;
    for (let i = 2; this.names.has(name); i++) name = `${wanted}${i}`;
    this.names.add(name);
    return name;
  }

  /** One line at the current depth; lines after a newline in `text` carry their own indentation. */
  private line(text: string): void {
    this.lines.push(INDENT.repeat(this.depth) + text);
  }

  /** `opening`, then `inner` indented one level (the caller writes the closing line). */
  private block(opening: string, inner: () => void): void {
    this.line(opening);
    this.depth++;
    inner();
    this.depth--;
  }

  /** `head` + arguments + `tail`, on one line when short, else one argument per line. */
  private call(head: string, args: string[], tail: string): void {
    const one = `${head}${args.join(', ')}${tail}`;
    const inline = args.slice(0, -1).every((a) => !a.includes('\n'));
    if (inline && one.split('\n')[0].length + INDENT.length * this.depth <= 110) {
      this.line(one);
      return;
    }
    this.line(head);
    for (const a of args) this.line(`${INDENT}${a.replace(/\n/g, `\n${INDENT}`)},`);
    this.line(tail);
  }
}

/** `{ startToCloseTimeout, heartbeatTimeout?, retry }` of an activity node, as the interpreter sets them. */
function activityOptions(node: CompiledNode): string {
  const { retry, timeout_ms, heartbeat_ms } = node.exec;
  const parts = [`startToCloseTimeout: ${timeout_ms}`];
  if (heartbeat_ms) parts.push(`heartbeatTimeout: ${heartbeat_ms}`);
  parts.push(
    `retry: { maximumAttempts: ${retry.max_attempts}, initialInterval: ${retry.initial_interval_ms}, backoffCoefficient: ${retry.backoff_coefficient}, maximumInterval: ${retry.max_interval_ms} }`,
  );
  return `{ ${parts.join(', ')} }`;
}

/** `ctx.id`, or `ctx['my-node']` for ids that are not identifiers. */
function ref(id: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(id) ? `ctx.${id}` : `ctx[${quote(id)}]`;
}

function camel(id: string): string {
  const words = id.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const name = words.map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join('') || 'node';
  return /^[0-9]/.test(name) ? `n${name}` : name;
}

/** A single-quoted TypeScript string. */
function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}'`;
}

function escapeTemplate(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

function key(k: string): string {
  if (k === '__proto__') return `['__proto__']`;
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k);
}

function list(ids: string[]): string {
  return `[${ids.map(quote).join(', ')}]`;
}

/** A value written as it is (no template evaluated). */
function literal(value: unknown, level: number): string {
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) return wrap('[', value.map((v) => literal(v, level + 1)), ']', level);
  if (value && typeof value === 'object') {
    return wrap('{ ', Object.entries(value).map(([k, v]) => `${key(k)}: ${literal(v, level + 1)}`), ' }', level);
  }
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/** Items on one line when short, else one per line at `level`. */
function wrap(open: string, items: string[], close: string, level: number): string {
  if (items.length === 0) return open.trim() + close.trim();
  const one = `${open}${items.join(', ')}${close}`;
  if (one.length <= 80 && !one.includes('\n')) return one;
  const pad = INDENT.repeat(level + 1);
  return `${open.trim()}\n${items.map((i) => `${pad}${i},`).join('\n')}\n${INDENT.repeat(level)}${close.trim()}`;
}

/** The whole file: header, imports, constants, the workflow, then the helpers it uses. */
function assemble(options: TypeScriptExportOptions, body: string[], helpers: Set<HelperName>): string {
  const fn = options.functionName ?? functionName(options.name);
  const runtime = helperCode(helpers);
  const exportedAt = options.exportedAt ?? new Date().toISOString();
  const header = [
    '/**',
    ` * ${options.name.replace(/\*\//g, '* /')}: a Temporal workflow exported from Temporal Flows`,
    ` * (flow ${options.flowId}, version ${options.version}, exported ${exportedAt}).`,
    ' *',
    ' * It does what the flow does, as plain workflow code: activity nodes call the platform\'s node',
    ` * activities by name on the platform's task queue ("${options.taskQueue}"), so its workers keep running them`,
    ' * with the flow owner\'s credentials; control nodes (conditions, switches, loops, waits) are code here.',
    ' * Expressions are JSONata, evaluated over the same names as in the flow: input, trigger, vars,',
    ' * execution, prev and node ids. Register it with a worker of your own (any task queue) and start it',
    ` * with the run's input: client.workflow.start(${fn}, { taskQueue, workflowId, args: [input] }).`,
    ' */',
  ];
  const imports = [`import { ${runtime.imports.join(', ')} } from '@temporalio/workflow';`];
  if (runtime.jsonata) imports.push("import jsonata from 'jsonata';");
  return [
    ...header,
    ...imports,
    '',
    "/** The platform's task queue: its workers run the node activities this workflow calls. */",
    `const PLATFORM_TASK_QUEUE = ${quote(options.taskQueue)};`,
    '',
    '/** The flow this was exported from; its owner is whose credentials, tools and data sources nodes use. */',
    `const FLOW = { id: ${quote(options.flowId)}, version: ${options.version}, owner_id: ${quote(options.ownerId)} };`,
    '',
    `/** Runs the flow "${options.name.replace(/\*\//g, '* /')}" with \`input\` as its input_data. */`,
    `export async function ${fn}(input: unknown = {}, trigger: Trigger = { type: 'manual' }): Promise<unknown> {`,
    ...body,
    '}',
    '',
    '// What follows is how the platform runs nodes, as plain code: the flow above calls it.',
    '',
    runtime.code.join('\n\n'),
    '',
  ].join('\n');
}

const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await'.split(
    ' ',
  ),
);

/** Names the exported file declares besides the workflow function. */
const TAKEN = new Set(
  'newContext output evaluate registerFunctions text truthy upstream flowOutput describe callNode delay listenForApprovals waitForApproval listenForEvents waitForEvent loop subFlow Terminated approveUpdate eventSignal prepareSubFlow compiled BASE64 PLATFORM_TASK_QUEUE FLOW Context Output Trigger jsonata'.split(
    ' ',
  ),
);

/** A workflow function name from the flow's name: `device inspection` → `deviceInspection`. */
export function functionName(name: string): string {
  const words = name.normalize('NFKD').split(/[^A-Za-z0-9]+/).filter(Boolean);
  let fn = words.map((w, i) => (i === 0 ? w[0].toLowerCase() + w.slice(1) : w[0].toUpperCase() + w.slice(1))).join('');
  if (!fn) fn = 'exportedFlow';
  if (/^[0-9]/.test(fn)) fn = `flow${fn}`;
  return RESERVED.has(fn) || TAKEN.has(fn) ? `${fn}Flow` : fn;
}
