import assert from 'node:assert/strict';
import {
  declaresDataField,
  getNodeDefinition,
  listNodeDefinitions,
  nodeCatalogue,
  nodeTypeInfo,
  normalizeType,
} from '../../src/nodes/registry';

describe('node registry', () => {
  it('lists every registered type once, each with ports, schemas and an example', () => {
    const types = listNodeDefinitions().map((d) => d.type);
    assert.equal(new Set(types).size, types.length);
    const core = ['start', 'end', 'condition', 'switch', 'transform', 'set', 'delay', 'loop', 'sub-flow', 'approval', 'wait-event', 'terminate'];
    const actions = ['noop', 'http-request', 'code', 'llm', 'email-send', 'tool-call'];
    for (const type of [...core, ...actions]) {
      assert.ok(types.includes(type), type);
    }
    for (const def of listNodeDefinitions()) {
      if (def.kind === 'activity') assert.equal(typeof def.execute, 'function', def.type);
      assert.ok(def.dataSchema.safeParse(def.example).success, `${def.type} example`);
    }
  });

  it('resolves aliases and other spellings to the canonical type', () => {
    assert.equal(normalizeType('http_request'), 'http-request');
    assert.equal(normalizeType('ai-generate'), 'llm');
    assert.equal(normalizeType('email_send'), 'email-send');
    assert.equal(normalizeType('send-email'), 'email-send');
    assert.equal(normalizeType('httpRequest'), 'http-request');
    assert.equal(normalizeType('HTTP_REQUEST'), 'http-request');
    assert.equal(normalizeType('wait_event'), 'wait-event');
    assert.equal(normalizeType('subFlow'), 'sub-flow');
    assert.equal(normalizeType(' condition '), 'condition');
    assert.equal(normalizeType('for-each'), 'loop');
    assert.equal(getNodeDefinition('wait_for_event')?.type, 'wait-event');
  });

  it('resolves every alias a definition declares to that definition, and no alias twice', () => {
    const seen = new Map<string, string>();
    for (const def of listNodeDefinitions()) {
      assert.equal(normalizeType(def.type), def.type);
      for (const alias of def.aliases ?? []) {
        assert.equal(seen.get(alias), undefined, `${alias} is an alias of ${seen.get(alias)} and ${def.type}`);
        seen.set(alias, def.type);
        assert.equal(normalizeType(alias), def.type, alias);
        assert.equal(getNodeDefinition(alias), def, alias);
      }
    }
    // The seeds' spellings are among them: the definitions declare them, the registry adds none.
    for (const [alias, type] of Object.entries({ http_request: 'http-request', 'ai-generate': 'llm', send_email: 'email-send', tool_call: 'tool-call' })) {
      assert.equal(seen.get(alias), type, alias);
    }
  });

  it('leaves unknown types as written and returns no definition for them', () => {
    assert.equal(normalizeType('Mystery_Node'), 'Mystery_Node');
    assert.equal(normalizeType(' mystery-node '), 'mystery-node');
    assert.equal(getNodeDefinition('mystery'), undefined);
    assert.equal(nodeTypeInfo('mystery'), undefined);
    assert.equal(declaresDataField('mystery', 'timeout_ms'), undefined);
  });

  it('knows which fields a type declares in its data', () => {
    assert.equal(declaresDataField('approval', 'timeout_ms'), true);
    assert.equal(declaresDataField('delay', 'timeout_ms'), false);
    assert.equal(declaresDataField('switch', 'cases'), true);
  });

  it('describes each type with JSON Schemas for the catalogue', () => {
    const catalogue = nodeCatalogue();
    assert.equal(catalogue.length, listNodeDefinitions().length);
    const condition = nodeTypeInfo('condition')!;
    assert.equal(condition.kind, 'control');
    assert.deepEqual(condition.ports, ['true', 'false']);
    assert.equal(condition.config_schema.type, 'object');
    assert.equal(condition.config_schema.additionalProperties, false);
    assert.deepEqual(condition.config_schema.required, ['expression']);
    assert.equal(condition.config_schema.$schema, undefined);
    assert.equal((condition.output_schema.properties as Record<string, { type: string }>).result.type, 'boolean');
    assert.deepEqual(condition.example, { expression: 'fetch.status = 200' });

    const loop = nodeTypeInfo('foreach')!;
    assert.equal(loop.type, 'loop');
    const loopProps = loop.config_schema.properties as Record<string, Record<string, unknown>>;
    assert.equal(loopProps.concurrency.maximum, 50);
    assert.equal(loopProps.concurrency.default, 1);

    const sw = nodeTypeInfo('switch')!;
    assert.equal(sw.dynamic_ports, true);
    assert.deepEqual(sw.ports, ['default']);
    assert.ok(JSON.stringify(catalogue));
  });
});
