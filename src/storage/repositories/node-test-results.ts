import { randomUUID } from 'node:crypto';
import { type Knex } from 'knex';
import { codecFor } from '../codec';
import { nowIso } from '../time';

/** The stored result of one test of a flow's node. */
export interface NodeTestResultRow {
  id: string;
  flow_id: string;
  node_id: string;
  node_type: string;
  flow_version: number;
  owner_id: string;
  user_id: string;
  session_id: string | null;
  form_values: Record<string, unknown>;
  /** What reached the node: its upstream output, or the run input. */
  input_data: unknown;
  /** The node's data as rendered for the test (the step's input). */
  rendered_input: unknown;
  output: unknown;
  error: { message: string; type?: string; details?: unknown } | null;
  success: boolean;
  port: string | null;
  attempt: number;
  duration_ms: number;
  temporal_workflow_id: string;
  temporal_run_id: string;
  created_at: string;
}

/** What storing a result takes; `id` and `created_at` default to a new UUID and now. */
export type NewNodeTestResult = Omit<NodeTestResultRow, 'id' | 'created_at'> & { id?: string; created_at?: string };

/** How many results of one node are kept: older ones are removed as new ones are stored. */
export const NODE_TEST_RESULTS_KEPT = 10;

/** Results of tests of stored nodes, newest first per node. */
export interface NodeTestResultRepo {
  /** Stores a result and removes that node's results beyond the newest {@link NODE_TEST_RESULTS_KEPT}. */
  insert(input: NewNodeTestResult): Promise<NodeTestResultRow>;
  /** The newest result of a node of a flow. */
  latest(flowId: string, nodeId: string): Promise<NodeTestResultRow | undefined>;
  /** A node's results, newest first. */
  list(flowId: string, nodeId: string, limit?: number): Promise<NodeTestResultRow[]>;
}

/** The node test result repository over `db`. */
export function createNodeTestResultRepo(db: Knex): NodeTestResultRepo {
  const codec = codecFor(db);
  const fromRow = (r: Record<string, unknown>): NodeTestResultRow => ({
    ...(r as unknown as NodeTestResultRow),
    flow_version: codec.int(r.flow_version),
    form_values: codec.fromJson<Record<string, unknown>>(r.form_values) ?? {},
    input_data: codec.fromJson(r.input_data),
    rendered_input: codec.fromJson(r.rendered_input),
    output: codec.fromJson(r.output),
    error: codec.fromJson<NodeTestResultRow['error']>(r.error),
    success: codec.bool(r.success),
    attempt: codec.int(r.attempt),
    duration_ms: codec.int(r.duration_ms),
  });
  const newestFirst = (flowId: string, nodeId: string) =>
    db('node_test_results')
      .where({ flow_id: flowId, node_id: nodeId })
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);

  return {
    async insert(input) {
      const row = {
        ...input,
        id: input.id ?? randomUUID(),
        created_at: input.created_at ?? nowIso(),
        form_values: codec.toJson(input.form_values ?? {}),
        input_data: codec.toJson(input.input_data),
        rendered_input: codec.toJson(input.rendered_input),
        output: codec.toJson(input.output),
        error: codec.toJson(input.error),
      };
      return db.transaction(async (trx) => {
        await trx('node_test_results').insert(row);
        const stale = await trx('node_test_results')
          .where({ flow_id: input.flow_id, node_id: input.node_id })
          .orderBy([
            { column: 'created_at', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .offset(NODE_TEST_RESULTS_KEPT)
          .limit(1000)
          .pluck('id');
        if (stale.length) await trx('node_test_results').whereIn('id', stale).delete();
        return fromRow((await trx('node_test_results').where({ id: row.id }).first()) as Record<string, unknown>);
      });
    },

    async latest(flowId, nodeId) {
      const r = await newestFirst(flowId, nodeId).first();
      return r ? fromRow(r) : undefined;
    },

    async list(flowId, nodeId, limit = NODE_TEST_RESULTS_KEPT) {
      return (await newestFirst(flowId, nodeId).limit(limit)).map(fromRow);
    },
  };
}
