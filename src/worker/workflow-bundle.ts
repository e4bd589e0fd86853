import { bundleWorkflowCode, DefaultLogger, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import path from 'node:path';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The interpreter's directory: workflows/ (TypeScript sources under tsx, compiled JS under dist/). */
const WORKFLOWS_DIR = path.join(__dirname, '..', '..', 'workflows');

/** Path of the workflows module. */
export function workflowsPath(): string {
  return require.resolve(WORKFLOWS_DIR);
}

/**
 * Modules every bundle of the interpreter preloads into the worker's reusable V8 context, once
 * (see workflows/shared-modules.ts): benches that bundle the interpreter with other workflows use
 * them too, so they measure what the platform runs.
 */
export function preloadModules(dir: string = WORKFLOWS_DIR): string[] {
  return [require.resolve(path.join(dir, 'shared-modules'))];
}

/** What the interpreter's TypeScript is compiled to (the SDK's webpack rule says ES2017). */
const WORKFLOW_TS_TARGET = 'es2022';

type WebpackConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];
type Rule = { use?: { loader?: string; options?: { jsc?: { target?: string } } } };

/**
 * Compiles the workflow TypeScript to ES2022 (Node 20 runs it natively) instead of the SDK's
 * ES2017. At ES2017 every object spread and rest in the interpreter (a step record, a transition
 * report) becomes a helper call that defines properties one by one: in a profile of a 1,000-node
 * run they were 45 % of the interpreter's own time. The commands a run issues do not change, so
 * recorded histories replay the same (test/workflows/replay.test.ts).
 */
export function modernWorkflowTarget(config: WebpackConfig): WebpackConfig {
  for (const rule of (config.module?.rules ?? []) as Rule[]) {
    const jsc = rule?.use?.loader?.includes('swc-loader') ? rule.use.options?.jsc : undefined;
    if (jsc) jsc.target = WORKFLOW_TS_TARGET;
  }
  return config;
}

/**
 * Bundle options of the interpreter: its preloaded modules, the interceptor that sends a run's
 * reports once per activation (workflows/report-interceptor.ts) and the compile target. `entry`:
 * a module exporting the workflows (benches add their own next to the interpreter's); `dir`: the
 * interpreter's directory (a test bundles a modified copy).
 */
export function interpreterBundleOptions(entry?: string, dir: string = WORKFLOWS_DIR): BundleOptions {
  return {
    workflowsPath: entry ?? require.resolve(dir),
    preloadModules: preloadModules(dir),
    workflowInterceptorModules: [require.resolve(path.join(dir, 'report-interceptor'))],
    webpackConfigHook: modernWorkflowTarget,
    logger: new DefaultLogger('WARN'),
  };
}

/** The interpreter's workflow bundle, built once per process (bundling takes seconds). */
export function getWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode(interpreterBundleOptions());
  return bundle;
}
