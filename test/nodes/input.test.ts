import assert from 'node:assert/strict';
import { compileFlow } from '../../src/nodes/compile-flow';
import { normalizeFlow } from '../../src/nodes/normalize-flow';
import { validateFlow } from '../../src/nodes/validate-flow';
import { inputNode } from '../../src/nodes/types/input';
import { checkInput } from '../../src/services/input-schema';
import { applyInputNodeDefaults, withInputDefaults } from '../../src/shared/input-fields';
import { startTestEngine, type TestEngine } from '../helpers/engine';

const FIELDS = [
  { name: 'text', type: 'string', required: true },
  { name: 'lang', type: 'string', default: 'en' },
  { name: 'tags', type: 'array', default: ['a'] },
];

/** start → input → end, the end showing what the input node passed on. */
function flow(data: Record<string, unknown>) {
  return {
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'fields', type: 'input', data },
      { id: 'end', type: 'end', data: { output: { node: '{{ fields.result }}', input: '{{ input }}' } } },
    ],
    edges: [
      { source: 'start', target: 'fields' },
      { source: 'fields', target: 'end' },
    ],
  };
}

describe('input node', function () {
  this.timeout(60_000);

  describe('its data', () => {
    const issues = (data: unknown) => {
      const r = inputNode.dataSchema.safeParse(data);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };

    it('declares fields with a type, required and a default of that type, and/or a JSON Schema', () => {
      assert.deepEqual(issues({}), []);
      assert.deepEqual(issues({ fields: FIELDS }), []);
      assert.deepEqual(issues({ input_schema: { type: 'object', properties: { n: { type: 'number', default: 1 } } } }), []);
      const parsed = inputNode.dataSchema.parse({ fields: [{ name: 'x' }] });
      assert.deepEqual(parsed.fields, [{ name: 'x', type: 'any', required: false }]);
    });

    it('refuses a field declared twice, a default of another type, unknown types and fields', () => {
      assert.deepEqual(issues({ fields: [{ name: 'a' }, { name: 'a' }] }), ['fields.1.name: Field "a" is declared twice']);
      assert.deepEqual(issues({ fields: [{ name: 'n', type: 'integer', default: 1.5 }] }), ['fields.0.default: The default of "n" is not of type integer']);
      assert.equal(issues({ fields: [{ name: 'a', type: 'text' }] }).length, 1);
      assert.deepEqual(issues({ variables: [] }), [": Unrecognized key(s) in object: 'variables'"]);
    });

    it('may follow start (seed 001: start → input) or be the entry node itself', () => {
      assert.deepEqual(validateFlow(normalizeFlow(flow({ fields: FIELDS }))).errors, []);
      const alone = {
        nodes: [
          { id: 'fields', type: 'input', data: { fields: FIELDS } },
          { id: 'end', type: 'end' },
        ],
        edges: [{ source: 'fields', target: 'end' }],
      };
      assert.deepEqual(validateFlow(normalizeFlow(alone)).errors, []);
    });
  });

  describe('defaults and checks (what the API applies before a run starts)', () => {
    it('fills in missing fields only, never sharing the default between runs', () => {
      const data = inputNode.dataSchema.parse({ fields: FIELDS });
      const filled = withInputDefaults({ text: 'hi', lang: 'fr' }, data) as any;
      assert.deepEqual(filled, { text: 'hi', lang: 'fr', tags: ['a'] });
      filled.tags.push('b');
      assert.deepEqual((withInputDefaults({}, data) as any).tags, ['a']);
      assert.deepEqual(withInputDefaults(undefined, data), { lang: 'en', tags: ['a'] });
      assert.equal(withInputDefaults('text', data), 'text');
      assert.deepEqual(withInputDefaults({ a: 1 }, {}), { a: 1 });
      // A JSON Schema's top-level defaults count too; a field's default wins.
      const both = { fields: [{ name: 'a', default: 1 }], input_schema: { properties: { a: { default: 2 }, b: { default: 3 } } } };
      assert.deepEqual(withInputDefaults({}, both), { a: 1, b: 3 });
    });

    it('checks input_data against the fields and the schema, with the defaults applied', () => {
      const def = compileFlow(flow({ fields: FIELDS, input_schema: { properties: { text: { minLength: 2 } } } }));
      const check = (input: unknown) => checkInput(def, applyInputNodeDefaults(def, input));
      assert.equal(check({ text: 'hello' }), undefined);
      assert.deepEqual(check({}), { input_data: "must have required property 'text'" });
      assert.deepEqual(check({ text: 'x', tags: 'no' }), { 'input_data.text': 'must NOT have fewer than 2 characters', 'input_data.tags': 'must be array' });
    });
  });

  describe('in a run', () => {
    let engine: TestEngine;
    before(async () => {
      engine = await startTestEngine();
    });
    after(async () => engine?.stop());

    it("outputs the run's input with its defaults (applied again in the workflow: harmless when the API did)", async () => {
      const res = await engine.run(flow({ fields: FIELDS }), { text: 'hi' });
      assert.equal(res.status, 'completed');
      assert.deepEqual(res.output, { node: { text: 'hi', lang: 'en', tags: ['a'] }, input: { text: 'hi' } });
      const step = res.steps.find((s) => s.node_id === 'fields');
      assert.equal(step?.node_type, 'input');
      assert.equal(step?.status, 'completed');
    });
  });
});
