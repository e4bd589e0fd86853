/**
 * Runtime helpers of an exported TypeScript workflow (docs/export-typescript.md): what a node
 * reached from several parents reads as `prev`, and what a flow (or loop body) returns.
 */
import type { Helper } from './flow-export-ts-runtime-helper';

/** `upstream` and `flowOutput`, in the order the exported file carries them. */
export const RESULT_HELPERS = {
  upstream: {
    uses: ['types'],
    code: `/** A node's \`prev\` after a join: the output of the one parent it was reached from, or {parent: output} for several. */
function upstream(ctx: Context, parents: string[], reachedFrom: Set<string>): unknown {
  const from = parents.filter((id) => reachedFrom.has(id));
  if (from.length === 0) return undefined;
  if (from.length === 1) return ctx[from[0]];
  return Object.fromEntries(from.map((id) => [id, ctx[id]]));
}`,
  },
  flowOutput: {
    uses: ['types'],
    code: `/** A (loop body's) result: its end node's, {end: result} for several, else the last nodes' that ran. */
function flowOutput(ctx: Context, ends: string[], sinks: string[]): unknown {
  const pick = (ids: string[]) => {
    if (ids.length === 0) return null;
    if (ids.length === 1) return ctx[ids[0]].result;
    return Object.fromEntries(ids.map((id) => [id, ctx[id].result]));
  };
  const endsRan = ends.filter((id) => ctx[id] !== undefined);
  return endsRan.length ? pick(endsRan) : pick(sinks.filter((id) => ctx[id] !== undefined));
}`,
  },
} satisfies Record<string, Helper>;
