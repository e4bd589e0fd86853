import { startRequiring, type FlowTemplate } from './template';

/**
 * Seed 002's daily device inspection with the node types that exist today: the device list comes
 * from an HTTP endpoint and the report is POSTed to a webhook instead of being written by an LLM
 * and e-mailed.
 */
export const deviceInspection: FlowTemplate = {
  id: 'device-inspection',
  name: 'Daily device inspection',
  description:
    'Fetches devices_url, which answers {"devices": [{id, name, status}]}. ' +
    'If any device is not "online", builds a report of those devices and POSTs it to report_url; otherwise ends with all_online: true. ' +
    'For a daily inspection, give it a cron trigger ("0 9 * * *") and fixed URLs instead of the input ones.',
  category: 'monitoring',
  tags: ['http-request', 'condition', 'cron', 'report'],
  example_input: {
    devices_url: 'https://iot.example.com/api/devices',
    report_url: 'https://hooks.example.com/ops/inspection',
  },
  trigger: { type: 'manual' },
  nodes: [
    startRequiring(['devices_url', 'report_url']),
    {
      id: 'fetch',
      type: 'http-request',
      label: 'Get all devices',
      position: { x: 200, y: 0 },
      data: { method: 'GET', url: '{{ input.devices_url }}' },
    },
    {
      id: 'check',
      type: 'condition',
      label: 'Any device not online?',
      position: { x: 400, y: 0 },
      data: { expression: '$count(fetch.result.devices[status != "online"]) > 0' },
    },
    {
      id: 'analyze',
      type: 'transform',
      label: 'Build the report',
      position: { x: 600, y: -80 },
      data: {
        expression:
          '( $all := fetch.result.devices; $bad := $all[status != "online"]; ' +
          '{ "checked": $count($all), "not_online": $count($bad), ' +
          '"devices": [$bad.{ "id": id, "name": name, "status": status }], ' +
          '"summary": $count($bad) & " of " & $count($all) & " devices need attention: " & $join($bad.name, ", ") } )',
      },
    },
    {
      id: 'notify',
      type: 'http-request',
      label: 'Send the report',
      position: { x: 800, y: -80 },
      data: {
        method: 'POST',
        url: '{{ input.report_url }}',
        body: '{{ analyze.result }}',
        idempotency_key: true,
      },
    },
    {
      id: 'reported',
      type: 'end',
      label: 'Reported',
      position: { x: 1000, y: -80 },
      data: {
        output: { all_online: false, report: '{{ analyze.result }}', delivered: '{{ notify.status }}' },
      },
    },
    {
      id: 'all-online',
      type: 'end',
      label: 'All online',
      position: { x: 600, y: 80 },
      data: { output: { all_online: true, checked: '{{ $count(fetch.result.devices) }}' } },
    },
  ],
  edges: [
    { source: 'start', target: 'fetch' },
    { source: 'fetch', target: 'check' },
    { source: 'check', target: 'analyze', source_handle: 'true' },
    { source: 'analyze', target: 'notify' },
    { source: 'notify', target: 'reported' },
    { source: 'check', target: 'all-online', source_handle: 'false' },
  ],
};
