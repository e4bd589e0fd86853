/**
 * Save-time checks of the references between nodes (`{{ fetch.result }}`): the node named must be
 * upstream of the reader, so its output exists when the reader runs, and the field read right
 * after it must be one its type outputs.
 */
import { didYouMean } from '../shared/did-you-mean';
import { fieldsReadAfter } from './reference-fields';
import { nodeTypeInfo } from './registry';
import type { CheckedNode } from './validate-node';
import type { Report } from './validation-issue';

/** What these checks need of the flow or a loop body, once its nodes and edges are checked. */
export interface ReferenceScope {
  parent: ReferenceScope | null;
  /** For a loop body: the index of its loop node in `parent`. */
  owner: number;
  nodes: unknown[];
  /** Node index by id, for the nodes whose id is valid and unique. */
  ids: Map<string, number>;
  checked: (CheckedNode | undefined)[];
  /** Set by the graph checks: each node's outgoing edges, each edge's target (-1: not a valid edge), whether there is a cycle. */
  out?: number[][];
  edgeTarget?: Int32Array;
  cyclic?: boolean;
}

/** One reference to check for "upstream": where it is written and from which node of the body, if any. */
interface Site {
  path: string;
  root: string;
  /** The reader is inside a loop body and the node named is outside it: `reader` is the loop. */
  fromBody: boolean;
}

/** Output fields of each type (`undefined`: any field may exist). */
const outputFields = new Map<string, ReadonlySet<string> | undefined>();

function fieldsOf(type: string): ReadonlySet<string> | undefined {
  if (!outputFields.has(type)) {
    const schema = nodeTypeInfo(type)?.output_schema;
    const properties = schema?.properties;
    const closed = schema?.additionalProperties === false && typeof properties === 'object' && properties !== null;
    outputFields.set(type, closed ? new Set(Object.keys(properties)) : undefined);
  }
  return outputFields.get(type);
}

const idOf = (scope: ReferenceScope, i: number) => (scope.nodes[i] as { id: string }).id;

/**
 * Warns about every reference of every scope to a node that is not upstream of the reader
 * (`NOT_UPSTREAM`; for a loop body reading an outer node, upstream of the loop), and to an output
 * field the node's type does not have (`UNKNOWN_OUTPUT_FIELD`). Names that are not node ids are
 * left to the graph checks (`UNKNOWN_REFERENCE`); scopes with a cycle are skipped (an error already).
 */
export function checkReferences(scopes: readonly ReferenceScope[], reserved: ReadonlySet<string>, warn: Report): void {
  /** Per scope: referenced node → reader → sites. */
  const queries = new Map<ReferenceScope, Map<number, Map<number, Site[]>>>();
  for (const scope of scopes) {
    const isNodeId = (name: string) => {
      for (let s: ReferenceScope | null = scope; s; s = s.parent) if (s.ids.has(name)) return true;
      return false;
    };
    scope.checked.forEach((checked, i) => {
      for (const ref of checked?.references ?? []) {
        for (const root of new Set(ref.roots)) {
          if (reserved.has(root)) continue;
          let declared: ReferenceScope | null = scope;
          let reader = i;
          while (declared && !declared.ids.has(root)) {
            reader = declared.owner;
            declared = declared.parent;
          }
          if (!declared) continue;
          const target = declared.ids.get(root)!;
          let byTarget = queries.get(declared);
          if (!byTarget) queries.set(declared, (byTarget = new Map()));
          let byReader = byTarget.get(target);
          if (!byReader) byTarget.set(target, (byReader = new Map()));
          const sites = byReader.get(reader) ?? [];
          byReader.set(reader, sites);
          sites.push({ path: ref.path, root, fromBody: declared !== scope });
          checkFields(ref, root, declared, target, isNodeId, warn);
        }
      }
    });
  }
  for (const [scope, byTarget] of queries) {
    if (scope.cyclic || !scope.out || !scope.edgeTarget) continue;
    for (const [target, byReader] of byTarget) {
      const reached = downstreamOf(scope, target, new Set(byReader.keys()));
      for (const [reader, sites] of byReader) {
        if (reached.has(reader)) continue;
        for (const site of sites) warn(site.path, 'NOT_UPSTREAM', notUpstreamMessage(scope, site, reader, target));
      }
    }
  }
}

/**
 * The `wanted` nodes reachable from `from` along edges: a walk that stops once every wanted node
 * is found, so the usual case (reading the node just before) costs a step or two.
 */
function downstreamOf(scope: ReferenceScope, from: number, wanted: Set<number>): Set<number> {
  const found = new Set<number>();
  // A set, not an array of the scope's size: most walks stop after a step or two.
  const seen = new Set<number>([from]);
  const queue = [from];
  for (let head = 0; head < queue.length && found.size < wanted.size; head++) {
    for (const e of scope.out![queue[head]]) {
      const next = scope.edgeTarget![e];
      if (seen.has(next)) continue;
      seen.add(next);
      if (wanted.has(next)) found.add(next);
      queue.push(next);
    }
  }
  return found;
}

function notUpstreamMessage(scope: ReferenceScope, site: Site, reader: number, target: number): string {
  if (reader === target) {
    return site.fromBody
      ? `"${site.root}" is the loop this node runs in: its output exists only once every item has run`
      : `"${site.root}" is this node itself: a node cannot read its own output`;
  }
  const where = site.fromBody ? `upstream of the loop "${idOf(scope, reader)}" this node runs in` : 'upstream of this node';
  return `Node "${site.root}" is not ${where} (no path of edges leads from it): its output may not exist when this runs; add an edge from "${site.root}"`;
}

function checkFields(
  ref: { path: string; text: string; expression: boolean },
  root: string,
  scope: ReferenceScope,
  target: number,
  isNodeId: (name: string) => boolean,
  warn: Report,
): void {
  const checked = scope.checked[target];
  const type = checked?.def?.type;
  const known = type ? fieldsOf(type) : undefined;
  if (!type || !known) return;
  const onError = (scope.nodes[target] as { on_error?: unknown }).on_error;
  const hasError = onError === 'continue' || onError === 'route';
  for (const field of fieldsReadAfter(ref.text, ref.expression, root, isNodeId, (f) => !known.has(f) && !(hasError && f === 'error'))) {
    const fields = [...known, ...(hasError ? ['error'] : [])];
    const hint =
      field === 'error' ? ' (a node has one only with on_error "continue" or "route")' : didYouMean(field, fields);
    warn(
      ref.path,
      'UNKNOWN_OUTPUT_FIELD',
      `"${root}" (${type}) has no output field "${field}"${hint}; its output has ${fields.join(', ') || 'no fields'}`,
    );
  }
}
