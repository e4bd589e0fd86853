import { startRequiring, type FlowTemplate } from './template';

const call = (id: string, label: string, path: string, y: number) => ({
  id,
  type: 'http-request',
  label,
  position: { x: 240, y },
  data: { method: 'GET', url: `{{ input.base_url }}${path}` },
});

/** Three HTTP calls in parallel, joined into one object once all of them answered. */
export const httpFanOut: FlowTemplate = {
  id: 'http-fan-out',
  name: 'HTTP fan-out with a join',
  description:
    'Calls three endpoints of base_url in parallel (/users, /orders, /inventory; each retried on 5xx and network errors) ' +
    'and joins their bodies into one object with counts. The join waits for all three.',
  category: 'integration',
  tags: ['http-request', 'parallel', 'join', 'transform'],
  example_input: { base_url: 'https://api.example.com' },
  trigger: { type: 'manual' },
  nodes: [
    startRequiring(['base_url']),
    call('users', 'Get users', '/users', -120),
    call('orders', 'Get orders', '/orders', 0),
    call('inventory', 'Get inventory', '/inventory', 120),
    {
      id: 'join',
      type: 'transform',
      label: 'Join the answers',
      position: { x: 480, y: 0 },
      data: {
        expression:
          '{ "users": users.result, "orders": orders.result, "inventory": inventory.result, ' +
          '"counts": { "users": $count(users.result), "orders": $count(orders.result), "inventory": $count(inventory.result) } }',
      },
    },
    {
      id: 'end',
      type: 'end',
      label: 'End',
      position: { x: 720, y: 0 },
      data: { output: '{{ join.result }}' },
    },
  ],
  edges: [
    { source: 'start', target: 'users' },
    { source: 'start', target: 'orders' },
    { source: 'start', target: 'inventory' },
    { source: 'users', target: 'join' },
    { source: 'orders', target: 'join' },
    { source: 'inventory', target: 'join' },
    { source: 'join', target: 'end' },
  ],
};
