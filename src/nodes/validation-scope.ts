import type { SaveCheckOptions } from './save-checks';
import { didYouMean } from '../shared/did-you-mean';
import type { ReferenceScope } from './reference-checks';
import type { Report } from './validation-issue';

/* The scopes flow validation walks (the flow and its loop bodies) and what every check shares. */

/** A plain object, as validation reads one. */
export type Obj = Record<string, unknown>;

/** Whether `value` is a plain object (not null, not an array). */
export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The flow itself or one loop body: its nodes see their own ids and those of enclosing scopes. */
export interface Scope extends ReferenceScope {
  /** Path of the scope: `''` for the flow, `nodes[3].data.body` for a loop body. */
  base: string;
  /** A loop body's `item_variable`: a name its nodes may read, like `item`. */
  itemVariable?: string;
  parent: Scope | null;
  edges: unknown[];
}

/** What the checks of one validation share: where to report, what to check against, and the budgets. */
export interface Context {
  error: Report;
  warn: Report;
  knownFlowIds?: ReadonlySet<string>;
  save?: SaveCheckOptions;
  /** Every node id of the flow, loop bodies included, with where it was declared. */
  allIds: Map<string, string>;
  /** "Did you mean" searches left. */
  suggestions: number;
}

/** ` (did you mean "x"?)` for `name` among `candidates`, while the validation's budget of searches lasts. */
export function suggest(ctx: Context, name: string, candidates: () => Iterable<string>): string {
  if (ctx.suggestions <= 0) return '';
  ctx.suggestions--;
  return didYouMean(name, candidates());
}

/** The ids a node of `scope` can name: its own scope's and those of enclosing scopes. */
export function* visibleIds(scope: Scope): Iterable<string> {
  for (let s: Scope | null = scope; s; s = s.parent) yield* s.ids.keys();
}

/** `rest` as a path inside `scope` (`nodes[0]` in the flow, `nodes[3].data.body.nodes[0]` in a loop body). */
export function pathIn(scope: Scope, rest: string): string {
  return scope.base ? `${scope.base}.${rest}` : rest;
}

/** Whether a node of `scope` can read `id`: a node of the scope or an enclosing one, or a loop body's item variable. */
export function visible(scope: Scope, id: string): boolean {
  for (let s: Scope | null = scope; s; s = s.parent) if (s.ids.has(id) || s.itemVariable === id) return true;
  return false;
}
