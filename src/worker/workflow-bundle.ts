import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import path from 'node:path';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Path of the workflows module (TypeScript sources under tsx, compiled JS under dist/). */
export function workflowsPath(): string {
  return require.resolve(path.join(__dirname, '..', '..', 'workflows'));
}

/** The interpreter's workflow bundle, built once per process (bundling takes seconds). */
export function getWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: workflowsPath(),
    preloadModules: [require.resolve(path.join(__dirname, '..', '..', 'workflows', 'shared-modules'))],
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}
