/**
 * The flow exporter's writer for single nodes: each node type's code (activity nodes as calls of
 * the platform's node activities, control nodes as code), `on_error` as `try`/`catch`, loops with
 * their body written as a graph of its own, and a node's `prev` after a join.
 */
import type { CompiledFlow, CompiledNode } from '../shared/flow';
import { camel, escapeTemplate, INDENT, list, quote, ref } from './flow-export-ts-code';
import { possiblePorts } from './flow-export-ts-graph';
import { ValueWriter } from './flow-export-ts-writer-values';
import type { Port, Scope } from './flow-export-ts-writer-scope';

/** Writes the code of one node; the graph around it is written by a subclass ({@link NodeWriter.graph}). */
export abstract class NodeWriter extends ValueWriter {
  /** Writes a graph's nodes, then `return` of its result (the top level, or a loop body at `depth`). */
  protected abstract graph(flow: CompiledFlow, activityPrefix: string, depth: number, path: string): void;

  /** Writes one node's code; returns how its port is known. */
  protected node(scope: Scope, node: CompiledNode): Port {
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

  /** Writes the code of a node of `node.type` (without its `on_error` handling); returns how its port is known. */
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

  /** Writes a loop node: a `loop(...)` call whose callback is the loop body, written as a graph. */
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

  /** Whether the node uses its upstream output or input (so a join before it records which parents reached it). */
  protected needsUpstream(node: CompiledNode): boolean {
    if (node.exec.kind === 'activity' || this.readsPrev(node)) return true;
    return (node.type === 'end' && node.data.output === undefined) || (node.type === 'sub-flow' && node.data.input === undefined);
  }

  /** Whether the node's expressions read `prev` (or the whole context, which holds it). */
  private readsPrev(node: CompiledNode): boolean {
    const reads = node.exec.reads;
    return reads === undefined ? node.type !== 'start' : reads.includes('prev');
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
