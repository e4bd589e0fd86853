import { z } from 'zod';
import { defineNode } from '../node-definition';
import { runInSandbox } from '../sandbox/sandbox-pool';
import { templateString } from '../schema-helpers';

const DEFAULT_TIMEOUT_MS = 5_000;
const MAX_TIMEOUT_MS = 60_000;
const DEFAULT_MEMORY_MB = 64;
const MAX_MEMORY_MB = 256;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** Context keys that cannot (or must not) become parameter names of the wrapper function. */
const NOT_A_PARAMETER = new Set(
  (
    'input context console arguments eval undefined NaN Infinity globalThis await yield let static implements ' +
    'interface package private protected public break case catch class const continue debugger default delete do ' +
    'else enum export extends false finally for function if import in instanceof new null return super switch this ' +
    'throw true try typeof var void while with'
  ).split(' '),
);

/** Data of a `code` node as stored in a flow. */
const dataSchema = z
  .object({
    code: z
      .string()
      .min(1, 'Code is required')
      .describe('JavaScript function body; `return` gives the result (may use await)'),
    timeout_ms: z
      .union([z.number().int().min(10).max(MAX_TIMEOUT_MS), templateString])
      .optional()
      .describe(`Time limit, default ${DEFAULT_TIMEOUT_MS}, at most ${MAX_TIMEOUT_MS}`),
    memory_limit_mb: z
      .union([z.number().int().min(8).max(MAX_MEMORY_MB), templateString])
      .optional()
      .describe(`Sandbox memory limit, default ${DEFAULT_MEMORY_MB}, at most ${MAX_MEMORY_MB}`),
  })
  .strict();

/** The same data after rendering: concrete values only. */
const renderedSchema = dataSchema.extend({
  timeout_ms: z.number().int().min(10).max(MAX_TIMEOUT_MS).default(DEFAULT_TIMEOUT_MS),
  memory_limit_mb: z.number().int().min(8).max(MAX_MEMORY_MB).default(DEFAULT_MEMORY_MB),
});

/** Runs user JavaScript in a QuickJS (WebAssembly) sandbox, fresh for every execution. */
export const codeNode = defineNode({
  type: 'code',
  aliases: ['javascript', 'js', 'function'],
  name: 'Code',
  category: 'core',
  description:
    'Runs JavaScript (the body of an async function) in an isolated QuickJS sandbox with time and memory limits. ' +
    '`input` (the run\'s input), `prev` (the upstream output) and the run context (`trigger`, `vars`, `item`, `index`, node outputs by id; ' +
    'all of it as `context`) are in scope; the returned JSON value is the output `result`. ' +
    'There is no network, file system, timers, `process` or `require`; `console.*` goes to the run log.',
  kind: 'activity',
  ports: ['default'],
  dataSchema,
  renderedSchema,
  outputSchema: z.object({
    result: z.unknown().describe('The JSON value the code returned (null for undefined)'),
  }),
  // Pure computation (no network, files or timers in the sandbox): local unless allowed to run long.
  localWhen: (data) => typeof data.timeout_ms !== 'string' && (data.timeout_ms ?? DEFAULT_TIMEOUT_MS) <= 5_000,
  defaults: {
    timeout_ms: MAX_TIMEOUT_MS + 10_000,
    retry: { max_attempts: 3, initial_interval_ms: 1_000, backoff_coefficient: 2 },
  },
  needsContext: true,
  rawFields: ['code'],
  example: { code: 'return prev.result.items.filter((i) => i.price > 10).length;' },
  exampleOutput: { result: 2 },
  async execute(data, ctx) {
    const context = ctx.context ?? {};
    // Runs compiled before `prev` existed gave code its upstream output as `input`; they still do.
    const input = Object.hasOwn(context, 'prev') ? (context.input ?? null) : (ctx.prev ?? null);
    const started = Date.now();
    const result = await runInSandbox(
      {
        code: data.code,
        payload: JSON.stringify({ input, context }),
        // Node ids such as `fetch-data` are no identifiers; they stay reachable as context['fetch-data'].
        names: Object.keys(context).filter((k) => IDENTIFIER.test(k) && !NOT_A_PARAMETER.has(k)),
        timeoutMs: data.timeout_ms,
        memoryMb: data.memory_limit_mb,
      },
      {
        signal: ctx.signal,
        onLog: (level, message) => ctx.log(level, message, { source: 'console' }),
        owner: ctx.ownerId,
      },
    );
    ctx.log('debug', `Code finished in ${Date.now() - started} ms`, { duration_ms: Date.now() - started });
    return { output: { result } };
  },
});
