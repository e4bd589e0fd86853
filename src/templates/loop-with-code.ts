import type { FlowTemplate } from './template';

const PRICE_LINE = `if (typeof item.price !== 'number' || typeof item.quantity !== 'number') {
  throw new Error('item ' + index + ': price and quantity must be numbers');
}
return { sku: item.sku ?? null, quantity: item.quantity, total: Math.round(item.price * item.quantity * 100) / 100 };`;

/** A loop whose body is a code step, with per-item error handling and a summary after it. */
export const loopWithCode: FlowTemplate = {
  id: 'loop-with-code',
  name: 'Process items in a loop',
  description:
    'Runs a sandboxed code step for every element of input.items (5 at a time), computing each line total. ' +
    'An item that fails is recorded and skipped rather than failing the run; the summary lists the lines, the grand total and the failures.',
  category: 'data',
  tags: ['loop', 'code', 'error-handling'],
  example_input: {
    items: [
      { sku: 'A-1', price: 2.5, quantity: 4 },
      { sku: 'B-7', price: 10, quantity: 1 },
    ],
  },
  trigger: { type: 'manual' },
  nodes: [
    {
      id: 'start',
      type: 'start',
      label: 'Items',
      position: { x: 0, y: 0 },
      data: {
        input_schema: { type: 'object', required: ['items'], properties: { items: { type: 'array' } } },
      },
    },
    {
      id: 'each',
      type: 'loop',
      label: 'For each item',
      position: { x: 200, y: 0 },
      data: {
        items: '{{ input.items }}',
        concurrency: 5,
        error_handling: 'continue',
        body: {
          nodes: [{ id: 'price', type: 'code', label: 'Line total', data: { code: PRICE_LINE } }],
          edges: [],
        },
      },
    },
    {
      id: 'summary',
      type: 'transform',
      label: 'Summarise',
      position: { x: 400, y: 0 },
      data: {
        expression:
          '{ "lines": [each.result[$ != null]], "total": $sum(each.result.total), ' +
          '"failed": [each.errors.{ "index": index, "error": error.message }] }',
      },
    },
    {
      id: 'end',
      type: 'end',
      label: 'End',
      position: { x: 600, y: 0 },
      data: { output: '{{ summary.result }}' },
    },
  ],
  edges: [
    { source: 'start', target: 'each' },
    { source: 'each', target: 'summary' },
    { source: 'summary', target: 'end' },
  ],
};
