/**
 * What the flow exporter's writer keeps while it writes one graph (the top level or a loop body),
 * and how it knows which port a node took once the node's code has run.
 */
import type { ExportGraph } from './flow-export-ts-graph';

/** How a node's port is known once its code has run. */
export type Port = { literal: string } | { truthy: string } | { expr: string };

/** One graph being written: the top level or a loop body. */
export interface Scope {
  /** The graph, analysed for writing. */
  g: ExportGraph;
  /** A TypeScript template-literal fragment prefixed to activity ids (`each/${index}/`). */
  activityPrefix: string;
  /** Loop nesting depth (names the index parameter). */
  depth: number;
  /** Joins being written, by node id: the set recording which parents reached it, or null when none is needed. */
  joins: Map<string, string | null>;
  /** Nodes whose code has been written. */
  emitted: Set<string>;
  /** Nodes whose code runs on every path (no `if` around them). */
  certain: Set<string>;
  /** Each node's path in the definition (`nodes[2]`, `nodes[1].data.body.nodes[0]`), for refusals. */
  paths: Map<string, string>;
}
