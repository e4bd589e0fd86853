import type { DataSourceQuery, DataSourceResult } from '../../nodes/data-sources';
import { NodeError } from '../../nodes/node-error';
import { evaluateIsolated, ExpressionBudgetError } from '../../nodes/sandbox/expression-pool';
import { columnsOf, rowsOf } from './api-source';
import { jsonRows } from './driver';

/**
 * `json` data sources: an inline document queried with a JSONata expression in which the document
 * is `data` and the query's params are `params` (`data.orders[status = params[0]]`); an empty query
 * returns the whole document. Expressions run in the isolated expression processes, under their
 * time and memory budget (docs/flow-format.md, "Expression budgets").
 */
export async function queryJson(document: unknown, request: DataSourceQuery): Promise<DataSourceResult> {
  const expression = request.query.trim() || 'data';
  let value: unknown;
  try {
    value = await evaluateIsolated({ op: 'expression', value: expression, context: { data: document, params: request.params } });
  } catch (err) {
    const budget = err instanceof ExpressionBudgetError;
    throw new NodeError(`The JSONata query ${budget ? 'ran out of its budget' : 'failed'}: ${(err as Error).message}`, {
      retryable: false,
      type: budget ? 'QueryTimeout' : 'InvalidQuery',
    });
  }
  const rows = rowsOf(value);
  const truncated = rows.length > request.limit;
  const kept = jsonRows(truncated ? rows.slice(0, request.limit) : rows);
  return { rows: kept, columns: columnsOf(kept), truncated, affectedRows: null };
}
