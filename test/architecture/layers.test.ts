/**
 * The import rules of eslint.config.mjs are live: a deliberate back-edge linted with the project's
 * own configuration is an error, and the same import in a layer allowed to make it is not.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: path.resolve(__dirname, '../..') });

/** Messages of `no-restricted-imports` for `code` linted as if it were `filePath`. */
async function restricted(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `${filePath} did not parse`);
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const use = (name: string) => `\nexport const used = ${name};\n`;

describe('import rules (eslint.config.mjs)', function () {
  this.timeout(60_000);

  const backEdges: [file: string, code: string, says: RegExp][] = [
    ['src/services/x.ts', `import { createApp } from '../api/app';${use('createApp')}`, /Services cannot import from the API/],
    ['src/services/x.ts', `import type { AppDeps } from '../api/app-deps';\nexport type T = AppDeps;\n`, /Services cannot import from the API/],
    ['src/storage/repositories/x.ts', `import { createFlowService } from '../../services/flow-service';${use('createFlowService')}`, /cannot import services or the API/],
    ['src/storage/x.ts', `import { actorOf } from '../api/actor';${use('actorOf')}`, /cannot import services or the API/],
    ['src/temporal/x.ts', `import type { RunService } from '../services/run-service';\nexport type T = RunService;\n`, /cannot import services or the API/],
    ['src/shared/x.ts', `import type { Actor } from '../services/actor';\nexport type T = Actor;\n`, /cannot import services or the API/],
    ['src/nodes/x.ts', `import { createRepos } from '../storage';${use('createRepos')}`, /not src\/storage/],
    ['src/nodes/types/x.ts', `import { createRepos } from '../../storage';${use('createRepos')}`, /not src\/storage/],
    ['src/nodes/types/x.ts', `import { isAdmin } from '../../api/principal';${use('isAdmin')}`, /cannot import services or the API/],
    ['src/nodes/types/x.ts', `import { noopNode } from './noop';${use('noopNode')}`, /must not import another node type/],
    ['activities/x.ts', `import { createRunService } from '../src/services/run-service';${use('createRunService')}`, /cannot import services or the API/],
    ['activities/x.ts', `import { approverOf } from '../src/api/approver';${use('approverOf')}`, /cannot import services or the API/],
    ['workflows/x.ts', `import type { Actor } from '../src/services/actor';\nexport type T = Actor;\n`, /cannot import services or the API/],
  ];
  for (const [file, code, says] of backEdges) {
    it(`rejects in ${file}: ${code.split('\n')[0]}`, async () => {
      const messages = await restricted(code, file);
      assert.ok(messages.some((m) => says.test(m)), `expected ${says} for ${file}, got ${JSON.stringify(messages)}`);
    });
  }

  const allowed: [file: string, code: string][] = [
    ['src/api/x.ts', `import { createFlowService } from '../services/flow-service';${use('createFlowService')}`],
    ['src/services/x.ts', `import { createRepos } from '../storage';${use('createRepos')}`],
    ['src/services/x.ts', `import { compileFlow } from '../nodes/compile-flow';${use('compileFlow')}`],
    ['src/nodes/x.ts', `import { RUN_FLOW } from '../shared/flow';${use('RUN_FLOW')}`],
    ['src/nodes/x.ts', `import { noopNode } from './types/noop';${use('noopNode')}`],
    ['src/nodes/x.ts', `import type { NodeServices } from './node-services';\nexport type T = NodeServices;\n`],
    ['activities/x.ts', `import { nodeDefinition } from '../src/nodes/registry';${use('nodeDefinition')}`],
    ['src/worker/x.ts', `import { createRunService } from '../services/run-service';${use('createRunService')}`],
  ];
  for (const [file, code] of allowed) {
    it(`allows in ${file}: ${code.split('\n')[0]}`, async () => {
      assert.deepEqual(await restricted(code, file), []);
    });
  }

  it('keeps the bundle-safety rules for workflow code next to the layer rule', async () => {
    const messages = await restricted(`import fs from 'node:fs';\nimport { Client } from '@temporalio/client';${use('[fs, Client]')}`, 'src/shared/x.ts');
    assert.ok(messages.some((m) => /Node built-ins cannot enter the workflow bundle/.test(m)), JSON.stringify(messages));
    assert.ok(messages.some((m) => /Only @temporalio\/workflow/.test(m)), JSON.stringify(messages));
  });
});
