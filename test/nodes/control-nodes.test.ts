import assert from 'node:assert/strict';
import { type NodeDefinition } from '../../src/nodes/node-definition';
import { nodePorts } from '../../src/nodes/registry';
import { approvalNode } from '../../src/nodes/types/approval';
import { conditionNode } from '../../src/nodes/types/condition';
import { delayNode } from '../../src/nodes/types/delay';
import { endNode } from '../../src/nodes/types/end';
import { loopNode } from '../../src/nodes/types/loop';
import { setNode } from '../../src/nodes/types/set';
import { startNode } from '../../src/nodes/types/start';
import { subFlowNode } from '../../src/nodes/types/sub-flow';
import { switchNode } from '../../src/nodes/types/switch';
import { terminateNode } from '../../src/nodes/types/terminate';
import { transformNode } from '../../src/nodes/types/transform';
import { waitEventNode } from '../../src/nodes/types/wait-event';

/** Issues of parsing `data` as `path: message` strings; empty when valid. */
function issues(def: NodeDefinition, data: unknown): string[] {
  const result = def.dataSchema.safeParse(data);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

function ok(def: NodeDefinition, data: unknown): void {
  assert.deepEqual(issues(def, data), []);
}

function rejects(def: NodeDefinition, data: unknown, path: string): void {
  const found = issues(def, data);
  assert.ok(
    found.some((i) => i.startsWith(`${path}:`)),
    `expected an issue at "${path}", got ${JSON.stringify(found)}`,
  );
}

const controlNodes = [
  startNode,
  endNode,
  conditionNode,
  switchNode,
  transformNode,
  setNode,
  delayNode,
  loopNode,
  subFlowNode,
  approvalNode,
  waitEventNode,
  terminateNode,
];

describe('control nodes', () => {
  it('are control nodes without execute, whose example is valid and whose data rejects unknown fields', () => {
    for (const def of controlNodes) {
      assert.equal(def.kind, 'control', def.type);
      assert.equal(def.execute, undefined, def.type);
      ok(def, def.example);
      const found = issues(def, { ...(def.example as object), typo_field: 1 });
      assert.ok(found.some((i) => i.includes('typo_field')), `${def.type} accepted an unknown field`);
    }
  });

  describe('start', () => {
    it('takes an optional JSON Schema for the input and has one port', () => {
      ok(startNode, {});
      rejects(startNode, { input_schema: 'object' }, 'input_schema');
      assert.deepEqual(startNode.ports, ['default']);
    });
  });

  describe('end', () => {
    it('takes any output and has no ports', () => {
      ok(endNode, {});
      ok(endNode, { output: '{{ a.result }}' });
      ok(endNode, { output: [1, { b: null }] });
      assert.deepEqual(endNode.ports, []);
    });
  });

  describe('condition', () => {
    it('needs a non-empty bare expression and branches true/false', () => {
      ok(conditionNode, { expression: 'fetch.status = 200' });
      rejects(conditionNode, {}, 'expression');
      rejects(conditionNode, { expression: '  ' }, 'expression');
      assert.deepEqual(conditionNode.ports, ['true', 'false']);
      assert.deepEqual(conditionNode.expressionFields, ['expression']);
    });
  });

  describe('switch', () => {
    it('needs at least one case', () => {
      rejects(switchNode, { cases: [] }, 'cases');
      rejects(switchNode, {}, 'cases');
    });

    it('rejects duplicate and reserved case names', () => {
      const data = {
        cases: [
          { name: 'a', expression: 'x = 1' },
          { name: 'a', expression: 'x = 2' },
          { name: 'default', expression: 'x = 3' },
          { name: 'error', expression: 'x = 4' },
        ],
      };
      rejects(switchNode, data, 'cases.1.name');
      rejects(switchNode, data, 'cases.2.name');
      rejects(switchNode, data, 'cases.3.name');
      rejects(switchNode, { cases: [{ name: 'a', expression: 'x', extra: 1 }] }, 'cases.0');
    });

    it('has a port per case plus default', () => {
      const data = switchNode.dataSchema.parse({
        cases: [
          { name: 'high', expression: 'p > 5' },
          { name: 'low', expression: 'p <= 5' },
        ],
      });
      assert.deepEqual(nodePorts(switchNode, data), ['high', 'low', 'default']);
      assert.deepEqual(switchNode.expressionFields, ['cases[].expression']);
    });
  });

  describe('transform', () => {
    it('needs an expression', () => {
      ok(transformNode, { expression: '$count(items)' });
      rejects(transformNode, { expr: 'x' }, 'expression');
    });
  });

  describe('set', () => {
    it('takes at least one value named like an identifier', () => {
      ok(setNode, { values: { a: '{{ input.a }}', b: 2, c: { d: [1] } } });
      rejects(setNode, { values: {} }, 'values');
      rejects(setNode, { values: { 'not ok': 1 } }, 'values.not ok');
    });
  });

  describe('delay', () => {
    it('takes exactly one of duration_ms and until', () => {
      ok(delayNode, { duration_ms: 0 });
      ok(delayNode, { duration_ms: '{{ input.wait_ms }}' });
      ok(delayNode, { until: '2030-01-01T09:00:00Z' });
      ok(delayNode, { until: '2030-01-01T09:00:00+02:00' });
      ok(delayNode, { until: '{{ input.at }}' });
      rejects(delayNode, {}, '');
      rejects(delayNode, { duration_ms: 5, until: '2030-01-01T09:00:00Z' }, '');
    });

    it('rejects negative, fractional and non-template values', () => {
      rejects(delayNode, { duration_ms: -1 }, 'duration_ms');
      rejects(delayNode, { duration_ms: 1.5 }, 'duration_ms');
      rejects(delayNode, { duration_ms: 'soon' }, 'duration_ms');
      rejects(delayNode, { until: 'tomorrow' }, 'until');
    });
  });

  describe('loop', () => {
    const body = { nodes: [{ id: 'x', type: 'noop' }], edges: [] };

    it('fills in concurrency 1 and error_handling stop', () => {
      const data = loopNode.dataSchema.parse({ items: '{{ input.list }}', body: { nodes: body.nodes } });
      assert.equal(data.concurrency, 1);
      assert.equal(data.error_handling, 'stop');
      assert.deepEqual(data.body?.edges, []);
    });

    it('needs items as a template, and a body, when given, with nodes', () => {
      rejects(loopNode, { items: 'input.list', body }, 'items');
      rejects(loopNode, { items: '{{ input.list }}', body: { edges: [] } }, 'body.nodes');
      // Seed 001's loop config has no body: each item is then its own result.
      ok(loopNode, { items: '{{ input.list }}' });
    });

    it('takes an item_variable that is a name and means nothing else in the body', () => {
      ok(loopNode, { items: '{{ input.list }}', body, item_variable: 'device' });
      ok(loopNode, { items: '{{ input.list }}', body, item_variable: 'item' });
      rejects(loopNode, { items: '{{ input.list }}', body, item_variable: 'input' }, 'item_variable');
      rejects(loopNode, { items: '{{ input.list }}', body, item_variable: 'a b' }, 'item_variable');
    });

    it('bounds concurrency to 1..50 and error_handling to stop|continue', () => {
      rejects(loopNode, { items: '{{ x }}', body, concurrency: 0 }, 'concurrency');
      rejects(loopNode, { items: '{{ x }}', body, concurrency: 51 }, 'concurrency');
      ok(loopNode, { items: '{{ x }}', body, concurrency: 50 });
      rejects(loopNode, { items: '{{ x }}', body, error_handling: 'ignore' }, 'error_handling');
    });
  });

  describe('sub-flow', () => {
    it('takes a flow id as UUID or template, and an optional version', () => {
      ok(subFlowNode, { workflow_id: '6f1c2a9e-3b7d-4c1a-9f0e-2d5b8c7a6e41' });
      ok(subFlowNode, { workflow_id: '{{ input.flow }}', version: 3, input: { a: 1 } });
      rejects(subFlowNode, { workflow_id: 'my-flow' }, 'workflow_id');
      rejects(subFlowNode, { workflow_id: '{{ x }}', version: 0 }, 'version');
    });
  });

  describe('approval', () => {
    it('has approved/rejected/timeout ports and optional fields', () => {
      ok(approvalNode, {});
      ok(approvalNode, { approvers: ['alice'], timeout_ms: 1000, default_outcome: 'approved' });
      rejects(approvalNode, { default_outcome: 'maybe' }, 'default_outcome');
      rejects(approvalNode, { timeout_ms: 0 }, 'timeout_ms');
      rejects(approvalNode, { approvers: [''] }, 'approvers.0');
      assert.deepEqual(approvalNode.ports, ['approved', 'rejected', 'timeout']);
    });
  });

  describe('wait-event', () => {
    it('needs an event name and has default and timeout ports', () => {
      ok(waitEventNode, { name: 'order.paid' });
      rejects(waitEventNode, {}, 'name');
      rejects(waitEventNode, { name: 'x', timeout_ms: -5 }, 'timeout_ms');
      assert.deepEqual(waitEventNode.ports, ['default', 'timeout']);
    });
  });

  describe('terminate', () => {
    it('needs status completed or failed and has no ports', () => {
      ok(terminateNode, { status: 'completed' });
      rejects(terminateNode, { status: 'cancelled' }, 'status');
      rejects(terminateNode, {}, 'status');
      assert.deepEqual(terminateNode.ports, []);
    });
  });
});
