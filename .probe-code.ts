import { codeNode } from './src/nodes/types/code';
import { makeNodeContext } from './test/helpers/node-context';
const cases: [string, any?][] = [
  ['while(true) { "x".repeat(1e7) }', {timeout_ms: 200}],
];
(async () => {
  for (const [code, extra] of cases) {
    const ctx = makeNodeContext({});
    const t = Date.now();
    try { const r = await codeNode.execute!({ code, ...extra } as any, ctx); console.log('OK', JSON.stringify(r.output).slice(0, 300)); }
    catch (e: any) { console.log('ERR', e.name, e.message); }
    console.log('   ', Date.now() - t, 'ms');
  }
})();
