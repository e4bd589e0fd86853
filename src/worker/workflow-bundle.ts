import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import path from 'node:path';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Path of the workflows module (TypeScript sources under tsx, compiled JS under dist/). */
export function workflowsPath(): string {
  return require.resolve(path.join(__dirname, '..', '..', 'workflows'));
}

/**
 * Modules every bundle of the interpreter preloads into the worker's reusable V8 context, once
 * (see workflows/shared-modules.ts): benches that bundle the interpreter with other workflows use
 * them too, so they measure what the platform runs.
 */
export function preloadModules(): string[] {
  return [require.resolve(path.join(__dirname, '..', '..', 'workflows', 'shared-modules'))];
}

/** The interpreter's workflow bundle, built once per process (bundling takes seconds). */
export function getWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: workflowsPath(), preloadModules: preloadModules(), logger: new DefaultLogger('WARN') });
  return bundle;
}
