/**
 * Seed 001's placeholder syntax and loop fields, rewritten into the platform's own when a flow is
 * saved, imported or validated (docs/flow-format.md, "Single-brace placeholders"):
 *
 * - `{name}` / `{a.b[0]}` in a template string becomes `{{ name }}`; in an expression field
 *   (`condition`, `transform`, switch cases) it becomes the bare path: `{value} > 10` →
 *   `input.value > 10`.
 * - A name that is a context name (`input`, `prev`, `trigger`, `item`…), a node id of the flow or an
 *   enclosing loop's `item_variable` is kept; any other name is a field of the run's input, so it
 *   is read from `input`: `{value}` → `input.value`.
 * - A loop's `items_path` becomes `items`, by the same rule: `"items"` → `"{{ input.items }}"`.
 *
 * Left alone: `{{ }}` templates, strings that are JSON as a whole (`{"a": 1}`), braces holding
 * anything but a name path (`{"a": 1}`, `{ a }`, `{a: 1}`, `{}`), `${x}`, string literals inside
 * expressions, and the fields a type never renders (code, SQL, JSON Schemas). Every rewrite is
 * reported with its path and the text before and after, as a warning of the save.
 */
import { type FlowGraph } from '../shared/flow';
import { splitTemplate } from '../shared/template-syntax';
import { getNodeDefinition } from './registry';
import { RESERVED_CONTEXT_NAMES } from './validate-flow';
import { keyPath, type ValidationIssue } from './validation-issue';

/** One rewrite, as the save's warnings carry it. */
export interface SeedRewrite extends ValidationIssue {
  code: 'SEED_PLACEHOLDER_REWRITTEN' | 'SEED_LOOP_FIELD_MAPPED' | 'LOOP_WITHOUT_BODY';
  /** The value as written (`undefined` for notes that rewrote nothing). */
  before?: unknown;
  /** The value stored instead. */
  after?: unknown;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Names every scope knows besides node ids (`prev` included: it is a context name everywhere). */
const CONTEXT_NAMES: ReadonlySet<string> = new Set([...RESERVED_CONTEXT_NAMES, 'prev']);

/** Fields no type renders or evaluates, whatever its definition says. */
const NEVER_REWRITTEN = new Set(['input_schema']);

// `{name}`, `{a.b}`, `{a[0].b}`, `{llm-1.result}`: a name path, nothing else, no spaces.
const NAME_PATH = String.raw`([A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*)`;
/** In template text: not `{{`, `}}` or `${`. */
const TEXT_PLACEHOLDER = new RegExp(String.raw`(?<![{$])\{${NAME_PATH}\}(?!\})`, 'g');
/** In an expression: also not right after a name, `.`, `]` or `)` (JSONata's group-by `x{…}`). */
const EXPRESSION_PLACEHOLDER = new RegExp(String.raw`(?<![{$\w.\])])\{${NAME_PATH}\}(?!\})`, 'g');

interface Scope {
  /** Names kept as written: context names, node ids, enclosing loops' item variables. */
  known: ReadonlySet<string>;
  /** Every node id of the flow (hyphenated names are only rewritten when they are one). */
  nodeIds: ReadonlySet<string>;
}

/**
 * Rewrites seed 001's single-brace placeholders and loop fields in a normalised flow (see the
 * module comment). Returns a new graph (the input is not changed) and every rewrite made. Never
 * throws: nodes it cannot make sense of are left for validation to report.
 */
export function rewriteSeedSyntax(graph: FlowGraph): { graph: FlowGraph; rewrites: SeedRewrite[] } {
  const rewrites: SeedRewrite[] = [];
  const nodeIds = new Set<string>();
  collectIds(graph, nodeIds);
  const scope: Scope = { known: new Set([...CONTEXT_NAMES, ...nodeIds]), nodeIds };
  return { graph: rewriteGraph(graph, '', scope, rewrites), rewrites };
}

function collectIds(graph: unknown, into: Set<string>): void {
  if (!isObject(graph) || !Array.isArray(graph.nodes)) return;
  for (const node of graph.nodes) {
    if (!isObject(node)) continue;
    if (typeof node.id === 'string') into.add(node.id);
    if (isObject(node.data)) collectIds(node.data.body, into);
  }
}

function rewriteGraph(graph: FlowGraph, base: string, scope: Scope, out: SeedRewrite[]): FlowGraph {
  if (!Array.isArray(graph.nodes)) return graph;
  const nodes = graph.nodes.map((node, i) => rewriteNode(node, `${base}nodes[${i}]`, scope, out));
  return { ...graph, nodes };
}

function rewriteNode<N>(node: N, path: string, scope: Scope, out: SeedRewrite[]): N {
  if (!isObject(node) || !isObject(node.data) || typeof node.type !== 'string') return node;
  const def = getNodeDefinition(node.type);
  if (!def) return node;
  const dataPath = `${path}.data`;
  const data: Obj = { ...node.data };
  const skip = new Set([...NEVER_REWRITTEN, ...(def.rawFields ?? [])]);
  const expressionFields = def.expressionFields ?? [];

  if (def.type === 'loop') {
    mapLoopFields(data, dataPath, node.id, scope, out);
    skip.add('body');
    if (isObject(data.body)) {
      const inner = typeof data.item_variable === 'string' ? new Set([...scope.known, data.item_variable]) : scope.known;
      data.body = rewriteGraph(data.body as unknown as FlowGraph, `${dataPath}.body.`, { ...scope, known: inner }, out);
    }
  }

  for (const key of Object.keys(data)) {
    if (skip.has(key)) continue;
    data[key] = rewriteValue(data[key], keyPath(dataPath, key), key, expressionFields, scope, out);
  }
  return { ...node, data } as N;
}

/** Rewrites the strings in `value`; `field` is its path below `data` in expressionFields' spelling (`cases[].expression`). */
function rewriteValue(value: unknown, path: string, field: string, expressionFields: readonly string[], scope: Scope, out: SeedRewrite[]): unknown {
  if (typeof value === 'string') {
    const isExpression = expressionFields.includes(field);
    const after = isExpression ? rewriteExpression(value, scope) : rewriteTemplate(value, scope);
    if (after === value) return value;
    out.push({
      path,
      code: 'SEED_PLACEHOLDER_REWRITTEN',
      message: `Rewrote ${JSON.stringify(value)} as ${JSON.stringify(after)}: ${
        isExpression ? 'expression fields are bare JSONata' : 'templates are written {{ }}'
      }, and a name that is not a node or context name is a field of the run's input`,
      before: value,
      after,
    });
    return after;
  }
  if (Array.isArray(value)) return value.map((item, i) => rewriteValue(item, `${path}[${i}]`, `${field}[]`, expressionFields, scope, out));
  if (isObject(value)) {
    const copy: Obj = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty, not assignment: a key "__proto__" must stay a key (validation refuses it), not set the copy's prototype.
      const rewritten = rewriteValue(item, keyPath(path, key), `${field}.${key}`, expressionFields, scope, out);
      Object.defineProperty(copy, key, { value: rewritten, enumerable: true, writable: true, configurable: true });
    }
    return copy;
  }
  return value;
}

/** The name path a placeholder stands for, or undefined to leave it as written. */
function resolve(first: string, rest: string, scope: Scope): string | undefined {
  if (scope.known.has(first)) return first + rest;
  // A hyphen outside a node id reads as a subtraction, not a name: not a placeholder we understand.
  if (first.includes('-')) return undefined;
  return `input.${first}${rest}`;
}

/** `text` with its single-brace placeholders outside `{{ }}` turned into templates. */
function rewriteTemplate(text: string, scope: Scope): string {
  if (!text.includes('{') || isJsonText(text)) return text;
  const { parts } = splitTemplate(text);
  // The raw text of each part: parts are contiguous, so each ends where the next begins.
  const raw: string[] = new Array(parts.length);
  let end = text.length;
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i];
    const start = part.kind === 'text' ? end - part.text.length : part.offset;
    raw[i] = text.slice(start, end);
    end = start;
  }
  return parts
    .map((part, i) =>
      part.kind === 'expression'
        ? raw[i]
        : raw[i].replace(TEXT_PLACEHOLDER, (match, first: string, rest: string) => {
            const path = resolve(first, rest, scope);
            return path === undefined ? match : `{{ ${path} }}`;
          }),
    )
    .join('');
}

/** `source` (a bare expression) with its single-brace placeholders outside string literals turned into paths. */
function rewriteExpression(source: string, scope: Scope): string {
  if (!source.includes('{')) return source;
  let result = '';
  let code = '';
  const flush = () => {
    result += code.replace(EXPRESSION_PLACEHOLDER, (match, first: string, rest: string) => resolve(first, rest, scope) ?? match);
    code = '';
  };
  for (let i = 0; i < source.length; ) {
    const c = source[i];
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) j += source[j] === '\\' && c !== '`' ? 2 : 1;
      flush();
      result += source.slice(i, j + 1);
      i = j + 1;
    } else {
      code += c;
      i++;
    }
  }
  flush();
  return result;
}

/** Whether a string is JSON as a whole (an object or array written as text): it is data, not a template. */
function isJsonText(text: string): boolean {
  const trimmed = text.trim();
  if (!(trimmed.startsWith('{') || trimmed.startsWith('['))) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}

/** Seed 001's loop config: `items_path` becomes `items`; a loop without a body is noted. */
function mapLoopFields(data: Obj, dataPath: string, nodeId: unknown, scope: Scope, out: SeedRewrite[]): void {
  if (typeof data.items_path === 'string' && data.items === undefined) {
    const before = data.items_path;
    const items = itemsTemplate(before.trim(), scope);
    if (items !== undefined) {
      delete data.items_path;
      data.items = items;
      out.push({
        path: `${dataPath}.items_path`,
        code: 'SEED_LOOP_FIELD_MAPPED',
        message: `items_path ${JSON.stringify(before)} is stored as items ${JSON.stringify(items)}`,
        before,
        after: items,
      });
    }
  }
  if (data.body === undefined) {
    out.push({
      path: dataPath,
      code: 'LOOP_WITHOUT_BODY',
      message: `Loop ${JSON.stringify(nodeId)} has no body: its result is the items as they are; add data.body ({nodes, edges}) to run nodes for each item`,
    });
  }
}

/** The `items` template of an `items_path`: a template stays, `{path}` or `path` becomes `{{ path }}`. */
function itemsTemplate(itemsPath: string, scope: Scope): string | undefined {
  if (itemsPath.includes('{{')) return itemsPath;
  const match = new RegExp(String.raw`^\{?${NAME_PATH}\}?$`).exec(itemsPath);
  if (!match) return undefined;
  const path = resolve(match[1], match[2], scope);
  return path === undefined ? undefined : `{{ ${path} }}`;
}
