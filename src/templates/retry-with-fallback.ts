import { startRequiring, type FlowTemplate } from './template';

/** An HTTP call retried with backoff that, when it still fails, routes to a fallback source. */
export const retryWithFallback: FlowTemplate = {
  id: 'retry-with-fallback',
  name: 'Retry with fallback',
  description:
    'Calls primary_url with up to 3 attempts and exponential backoff. If it still fails, its error port routes to a call of fallback_url. ' +
    'Either way the result says which source answered (and why the primary did not).',
  category: 'reliability',
  tags: ['http-request', 'retry', 'on_error', 'fallback'],
  example_input: {
    primary_url: 'https://api.example.com/rates',
    fallback_url: 'https://mirror.example.com/rates',
  },
  trigger: { type: 'manual' },
  nodes: [
    startRequiring(['primary_url', 'fallback_url']),
    {
      id: 'primary',
      type: 'http-request',
      label: 'Primary source',
      position: { x: 200, y: 0 },
      data: { method: 'GET', url: '{{ input.primary_url }}' },
      retry: { max_attempts: 3, initial_interval_ms: 500, backoff_coefficient: 2 },
      timeout_ms: 15_000,
      on_error: 'route',
    },
    {
      id: 'fallback',
      type: 'http-request',
      label: 'Fallback source',
      position: { x: 400, y: 100 },
      data: { method: 'GET', url: '{{ input.fallback_url }}' },
    },
    {
      id: 'pick',
      type: 'transform',
      label: 'Pick the answer',
      position: { x: 600, y: 0 },
      data: {
        expression:
          '$exists(primary.error) ' +
          '? { "source": "fallback", "data": fallback.result, "primary_error": primary.error.message } ' +
          ': { "source": "primary", "data": primary.result }',
      },
    },
    {
      id: 'end',
      type: 'end',
      label: 'End',
      position: { x: 800, y: 0 },
      data: { output: '{{ pick.result }}' },
    },
  ],
  edges: [
    { source: 'start', target: 'primary' },
    { source: 'primary', target: 'pick' },
    { source: 'primary', target: 'fallback', source_handle: 'error' },
    { source: 'fallback', target: 'pick' },
    { source: 'pick', target: 'end' },
  ],
};
