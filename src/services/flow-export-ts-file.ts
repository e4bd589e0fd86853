/**
 * The exported TypeScript file around the workflow's statements (docs/export-typescript.md): its
 * header, imports and constants, the workflow function, and the runtime helpers it uses; and the
 * workflow function's name, derived from the flow's name.
 */
import { quote } from './flow-export-ts-code';
import { helperCode, type HelperName } from './flow-export-ts-runtime';

/** What the exported file says about where it came from and where it runs its activities. */
export interface TypeScriptExportOptions {
  /** The flow's name: the header, and the workflow function's name unless `functionName` is given. */
  name: string;
  /** The flow's id: in the header, and the `flow_id` of the runs' execution context and node activities. */
  flowId: string;
  /** The flow version exported. */
  version: number;
  /** The flow's owner: node activities resolve credentials, tools and data sources of this user. */
  ownerId: string;
  /** The platform's task queue, where its workers run the node activities. */
  taskQueue: string;
  /** The workflow function's name; by default the flow's name in camelCase ({@link functionName}). */
  functionName?: string;
  /** When the file was exported (ISO 8601), for its header; by default now. */
  exportedAt?: string;
}

/** The whole file: header, imports, constants, the workflow, then the helpers it uses. */
export function assemble(options: TypeScriptExportOptions, body: string[], helpers: Set<HelperName>): string {
  const fn = options.functionName ?? functionName(options.name);
  const runtime = helperCode(helpers);
  const exportedAt = options.exportedAt ?? new Date().toISOString();
  const header = [
    '/**',
    ` * ${options.name.replace(/\*\//g, '* /')}: a Temporal workflow exported from Temporal Flows`,
    ` * (flow ${options.flowId}, version ${options.version}, exported ${exportedAt}).`,
    ' *',
    ' * It does what the flow does, as plain workflow code: activity nodes call the platform\'s node',
    ` * activities by name on the platform's task queue ("${options.taskQueue}"), so its workers keep running them`,
    ' * with the flow owner\'s credentials; control nodes (conditions, switches, loops, waits) are code here.',
    ' * Expressions are JSONata, evaluated over the same names as in the flow: input, trigger, vars,',
    ' * execution, prev and node ids. Register it with a worker of your own (any task queue) and start it',
    ` * with the run's input: client.workflow.start(${fn}, { taskQueue, workflowId, args: [input] }).`,
    ' */',
  ];
  const imports = [`import { ${runtime.imports.join(', ')} } from '@temporalio/workflow';`];
  if (runtime.jsonata) imports.push("import jsonata from 'jsonata';");
  return [
    ...header,
    ...imports,
    '',
    "/** The platform's task queue: its workers run the node activities this workflow calls. */",
    `const PLATFORM_TASK_QUEUE = ${quote(options.taskQueue)};`,
    '',
    '/** The flow this was exported from; its owner is whose credentials, tools and data sources nodes use. */',
    `const FLOW = { id: ${quote(options.flowId)}, version: ${options.version}, owner_id: ${quote(options.ownerId)} };`,
    '',
    `/** Runs the flow "${options.name.replace(/\*\//g, '* /')}" with \`input\` as its input_data. */`,
    `export async function ${fn}(input: unknown = {}, trigger: Trigger = { type: 'manual' }): Promise<unknown> {`,
    ...body,
    '}',
    '',
    '// What follows is how the platform runs nodes, as plain code: the flow above calls it.',
    '',
    runtime.code.join('\n\n'),
    '',
  ].join('\n');
}

const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await'.split(
    ' ',
  ),
);

/** Names the exported file declares besides the workflow function. */
const TAKEN = new Set(
  'newContext output evaluate registerFunctions text truthy upstream flowOutput describe callNode delay listenForApprovals waitForApproval listenForEvents waitForEvent loop subFlow Terminated approveUpdate eventSignal prepareSubFlow compiled BASE64 PLATFORM_TASK_QUEUE FLOW Context Output Trigger jsonata'.split(
    ' ',
  ),
);

/** A workflow function name from the flow's name: `device inspection` → `deviceInspection`. */
export function functionName(name: string): string {
  const words = name.normalize('NFKD').split(/[^A-Za-z0-9]+/).filter(Boolean);
  let fn = words.map((w, i) => (i === 0 ? w[0].toLowerCase() + w.slice(1) : w[0].toUpperCase() + w.slice(1))).join('');
  if (!fn) fn = 'exportedFlow';
  if (/^[0-9]/.test(fn)) fn = `flow${fn}`;
  return RESERVED.has(fn) || TAKEN.has(fn) ? `${fn}Flow` : fn;
}
