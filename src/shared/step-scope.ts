/**
 * Where a step ran inside loop bodies. The interpreter runs a loop body's item `i` in a graph
 * whose scope key (its activity-id prefix) is the loop's own scope plus `<loop node id>/<i>/`, so
 * `each/3/` is item 3 of loop `each` and `outer/1/inner/0/` item 0 of loop `inner` in item 1 of
 * `outer`. Node ids cannot contain `/`, so the key parses back without ambiguity. Bundle-safe.
 */

/** A step's place in loop bodies. */
export interface LoopPlace {
  /** The whole scope key, outermost loop first (`outer/1/inner/0/`). */
  scope: string;
  /** The innermost loop whose body the step belongs to. */
  loop_node_id: string;
  /** The step's item in that loop (0-based, as `{{ index }}`). */
  item_index: number;
}

/** The loop place a scope key names; undefined at the top level (`''`) or for a key that is not one. */
export function loopPlaceOf(scope: string | null | undefined): LoopPlace | undefined {
  if (!scope || !scope.endsWith('/')) return undefined;
  const parts = scope.slice(0, -1).split('/');
  if (parts.length < 2 || parts.length % 2 !== 0) return undefined;
  const loop = parts[parts.length - 2];
  const index = parts[parts.length - 1];
  if (!loop || !/^\d{1,9}$/.test(index)) return undefined;
  return { scope, loop_node_id: loop, item_index: Number(index) };
}
