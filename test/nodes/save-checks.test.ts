import assert from 'node:assert/strict';
import { validateFlow, type SaveCheckOptions } from '../../src/nodes/validate-flow';
import { codeSyntaxError } from '../../src/nodes/save-checks';

const BARE: SaveCheckOptions = { httpAllowedHosts: [], llmConfigured: false, smtpConfigured: false };

/** The save-time warnings and errors of a one-node flow (plus start), as `CODE path` lines. */
function issuesOf(node: Record<string, unknown>, save: SaveCheckOptions = BARE) {
  const r = validateFlow({ nodes: [{ id: 'start', type: 'start' }, { id: 'n', ...node }], edges: [{ source: 'start', target: 'n' }] }, { save });
  return [...r.errors, ...r.warnings].map((i) => `${i.code} ${i.path}`);
}

describe('save-time checks of one node', () => {
  it('finds where code stops parsing, by line and column of the code as written', () => {
    assert.equal(codeSyntaxError('return 1'), undefined);
    assert.equal(codeSyntaxError('const r = await Promise.resolve(input);\nreturn r'), undefined);
    assert.equal(codeSyntaxError('return 1 +;'), "SyntaxError: Unexpected token ';' (line 1, column 11)");
    assert.equal(codeSyntaxError('let a = 1;\n\tlet a = 2;'), "SyntaxError: Identifier 'a' has already been declared (line 2, column 6)");
    const unclosed = 'SyntaxError: Unexpected end of code, a brace, bracket, string or comment is not closed';
    assert.equal(codeSyntaxError('if (x) {\n  return 1;'), `${unclosed} (line 2, column 12)`);
    assert.equal(codeSyntaxError('return `abc'), `${unclosed} (line 1, column 12)`);
    assert.equal(codeSyntaxError('return 1 /* note'), 'SyntaxError: Invalid or unexpected token (line 1)');
  });

  it('warns about literal URLs the address guard refuses, unless HTTP_ALLOWED_HOSTS allows them', () => {
    const at = (url: string, hosts: string[] = []) => issuesOf({ type: 'http-request', data: { url } }, { ...BARE, httpAllowedHosts: hosts });
    assert.deepEqual(at('http://10.0.0.8/x'), ['ADDRESS_BLOCKED nodes[1].data.url']);
    assert.deepEqual(at('http://[::1]:8080/x'), ['ADDRESS_BLOCKED nodes[1].data.url']);
    assert.deepEqual(at('http://localhost:8080/x'), ['ADDRESS_BLOCKED nodes[1].data.url']);
    assert.deepEqual(at('http://169.254.169.254:80/{{ input.path }}'), ['ADDRESS_BLOCKED nodes[1].data.url']);
    assert.deepEqual(at('http://10.0.0.8/x', ['10.0.0.0/8']), []);
    assert.deepEqual(at('http://localhost:8080/x', ['localhost']), []);
    assert.deepEqual(at('http://localhost:8080/x', ['127.0.0.1']), []);
    assert.deepEqual(at('https://example.test/x'), []);
    assert.deepEqual(at('http://{{ input.host }}/x'), []);
    assert.deepEqual(at('{{ input.url }}'), []);
    assert.deepEqual(at('ftp://example.test/x'), ['INVALID_URL nodes[1].data.url']);
    assert.deepEqual(at('not a url'), ['INVALID_URL nodes[1].data.url']);
  });

  it('warns about llm and agent nodes that have no endpoint, and email-send nodes without a mail server', () => {
    assert.deepEqual(issuesOf({ type: 'llm', data: { prompt: 'hi' } }), ['LLM_NOT_CONFIGURED nodes[1]']);
    assert.deepEqual(issuesOf({ type: 'llm', data: { prompt: 'hi', provider: 'openai' } }), ['LLM_NOT_CONFIGURED nodes[1]']);
    assert.deepEqual(issuesOf({ type: 'llm', data: { prompt: 'hi', provider: 'ollama' } }), []);
    assert.deepEqual(issuesOf({ type: 'llm', data: { prompt: 'hi', provider: 'https://llm.example.test/v1' } }), []);
    assert.deepEqual(issuesOf({ type: 'llm', data: { prompt: 'hi', credential: 'my-openai' } }), []);
    assert.deepEqual(issuesOf({ type: 'llm', data: { prompt: 'hi' } }, { ...BARE, llmConfigured: true }), []);
    assert.deepEqual(issuesOf({ type: 'agent', data: { prompt: 'hi' } }), ['LLM_NOT_CONFIGURED nodes[1]']);
    const mail = { type: 'email-send', data: { to: 'a@example.test', subject: 's', body: 'b' } };
    assert.deepEqual(issuesOf(mail), ['SMTP_NOT_CONFIGURED nodes[1]']);
    assert.deepEqual(issuesOf(mail, { ...BARE, smtpConfigured: true }), []);
    assert.deepEqual(issuesOf({ ...mail, data: { ...mail.data, credential: 'mailer' } }), []);
  });

  it('refuses an input_schema that is not a JSON Schema, at the path of each problem', () => {
    const r = validateFlow(
      { nodes: [{ id: 'start', type: 'start', data: { input_schema: { type: 'object', properties: { n: { minLength: -1 }, p: { pattern: '([' } } } } }], edges: [] },
      { save: BARE },
    );
    assert.deepEqual(r.errors.map((e) => `${e.code} ${e.path}`), ['INVALID_INPUT_SCHEMA nodes[0].data.input_schema.properties.n.minLength']);
    const pattern = validateFlow({ nodes: [{ id: 'start', type: 'start', data: { input_schema: { properties: { p: { pattern: '([' } } } } }], edges: [] }, { save: BARE });
    assert.deepEqual(pattern.errors.map((e) => e.path), ['nodes[0].data.input_schema']);
    assert.match(pattern.errors[0].message, /Invalid regular expression/);
  });

  it('leaves all of this to saving: compiling a run (no save option) checks none of it', () => {
    const flow = { nodes: [{ id: 'c', type: 'code', data: { code: 'return 1 +;' } }, { id: 'h', type: 'http-request', data: { url: 'http://10.0.0.1/' } }], edges: [] };
    assert.deepEqual(validateFlow(flow), { valid: true, errors: [], warnings: [] });
    const saved = validateFlow(flow, { save: BARE });
    assert.deepEqual([...saved.errors, ...saved.warnings].map((i) => `${i.code} ${i.path}`), ['CODE_SYNTAX_ERROR nodes[0].data.code', 'ADDRESS_BLOCKED nodes[1].data.url']);
  });
});
