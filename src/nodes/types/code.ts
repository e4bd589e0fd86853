import {
  newQuickJSWASMModule,
  Scope,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from 'quickjs-emscripten';
import { z } from 'zod';
import { defineNode, NodeError, type NodeContext, type NodeLogLevel } from '../node-definition';
import { templateString } from '../schema-helpers';

const MB = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 5_000;
const MAX_TIMEOUT_MS = 60_000;
const DEFAULT_MEMORY_MB = 64;
const MAX_MEMORY_MB = 256;
/** QuickJS's own stack limit; well below what the host's native stack can take for plain JS recursion. */
const MAX_STACK_BYTES = 256 * 1024;
const MAX_LOG_LINES = 1_000;
const MAX_LOG_CHARS = 4_000;
const FILENAME = 'code.js';

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

/**
 * Builds the sandbox's `console`: arguments are formatted inside the VM, so the host only ever
 * receives one bounded string per call through `emit`.
 */
const CONSOLE_FACTORY = `(function (emit) {
  'use strict';
  function show(v) {
    if (typeof v === 'string') return v;
    if (v instanceof Error) return v.name + ': ' + v.message;
    if (typeof v === 'function') return '[Function ' + (v.name || 'anonymous') + ']';
    if (v === undefined || typeof v === 'symbol' || typeof v === 'bigint') return String(v);
    try { var s = JSON.stringify(v); return s === undefined ? String(v) : s; } catch (e) { return String(v); }
  }
  function make(level) {
    return function () {
      var out = '';
      for (var i = 0; i < arguments.length; i++) out += (i ? ' ' : '') + show(arguments[i]);
      emit(level, out.length > ${MAX_LOG_CHARS} ? out.slice(0, ${MAX_LOG_CHARS}) + '…' : out);
    };
  }
  return Object.freeze({ log: make('info'), info: make('info'), debug: make('debug'), warn: make('warn'), error: make('error') });
})`;

let quickjs: Promise<QuickJSWASMModule> | undefined;

/** The QuickJS WebAssembly module, loaded once per process (and again only after a host-level fault). */
function loadQuickJS(): Promise<QuickJSWASMModule> {
  quickjs ??= newQuickJSWASMModule().catch((err: unknown) => {
    quickjs = undefined;
    throw err;
  });
  return quickjs;
}

interface Job {
  code: string;
  input: unknown;
  context: Record<string, unknown>;
  timeoutMs: number;
  memoryMb: number;
  signal: AbortSignal;
  log: NodeContext['log'];
}

interface RunState {
  timedOut: boolean;
  cancelled: boolean;
  logLines: number;
}

const dataSchema = z
  .object({
    code: z.string().min(1, 'Code is required').describe('JavaScript function body; `return` gives the result (may be async)'),
    timeout_ms: z
      .union([z.number().int().min(10).max(MAX_TIMEOUT_MS), templateString])
      .optional()
      .describe(`CPU time limit, default ${DEFAULT_TIMEOUT_MS}, at most ${MAX_TIMEOUT_MS}`),
    memory_limit_mb: z
      .union([z.number().int().min(8).max(MAX_MEMORY_MB), templateString])
      .optional()
      .describe(`Sandbox heap limit, default ${DEFAULT_MEMORY_MB}, at most ${MAX_MEMORY_MB}`),
  })
  .strict();

const renderedSchema = dataSchema.extend({
  timeout_ms: z.number().int().min(10).max(MAX_TIMEOUT_MS).default(DEFAULT_TIMEOUT_MS),
  memory_limit_mb: z.number().int().min(8).max(MAX_MEMORY_MB).default(DEFAULT_MEMORY_MB),
});

/** Context keys usable as plain variables in the code (node ids like `fetch-data` stay reachable via `context`). */
function parameterNames(context: Record<string, unknown>): string[] {
  return Object.keys(context).filter((k) => IDENTIFIER.test(k) && !NOT_A_PARAMETER.has(k));
}

function codeError(vm: QuickJSContext, error: QuickJSHandle, job: Job, state: RunState, prefixLength: number): Error {
  if (state.cancelled) return job.signal.reason ?? new NodeError('Code execution was cancelled', { type: 'Cancelled' });
  if (state.timedOut) {
    return new NodeError(`Code timed out after ${job.timeoutMs} ms`, { retryable: false, type: 'CodeTimeout' });
  }
  let dumped: unknown;
  try {
    dumped = vm.dump(error);
  } catch {
    dumped = null;
  }
  const e = (dumped && typeof dumped === 'object' ? dumped : {}) as { name?: string; message?: string; stack?: string };
  if (dumped === null || (e.name === 'InternalError' && /out of memory/i.test(e.message ?? ''))) {
    return new NodeError(`Code exceeded the memory limit of ${job.memoryMb} MB`, {
      retryable: false,
      type: 'CodeMemoryLimit',
    });
  }
  if (typeof dumped !== 'object') {
    return new NodeError(`Code threw ${JSON.stringify(dumped) ?? String(dumped)}`, { retryable: false, type: 'CodeError' });
  }
  const where = new RegExp(`${FILENAME.replace('.', '\\.')}:(\\d+)(?::(\\d+))?`).exec(e.stack ?? '');
  const line = where ? Number(where[1]) : undefined;
  const column = where?.[2] ? Number(where[2]) - (line === 1 ? prefixLength : 0) : undefined;
  const name = e.name ?? 'Error';
  return new NodeError(`${name}: ${e.message ?? ''}${line ? ` (line ${line})` : ''}`, {
    retryable: false,
    type: 'CodeError',
    details: { name, message: e.message, line, column, stack: e.stack?.slice(0, 2_000) },
  });
}

/** Runs the job in a fresh runtime; synchronous, so the whole run is bounded by the interrupt deadline. */
function runInSandbox(QuickJS: QuickJSWASMModule, job: Job): unknown {
  const state: RunState = { timedOut: false, cancelled: false, logLines: 0 };
  const runtime = QuickJS.newRuntime();
  let vm: QuickJSContext | undefined;
  let healthy = false;
  try {
    runtime.setMemoryLimit(job.memoryMb * MB);
    runtime.setMaxStackSize(MAX_STACK_BYTES);
    const deadline = Date.now() + job.timeoutMs;
    runtime.setInterruptHandler(() => {
      if (job.signal.aborted) state.cancelled = true;
      else if (Date.now() > deadline) state.timedOut = true;
      return state.cancelled || state.timedOut;
    });
    vm = runtime.newContext();
    const result = Scope.withScope((scope) => evaluate(vm!, runtime, scope, job, state));
    healthy = true;
    return result;
  } catch (err) {
    healthy = err instanceof NodeError || (err as Error)?.name === 'CancelledFailure' || job.signal.aborted;
    throw err;
  } finally {
    // After a host-level fault the WebAssembly state is unreliable: disposing could abort, so the
    // whole module is dropped instead (see execute).
    if (healthy) {
      vm?.dispose();
      runtime.dispose();
    }
  }
}

function evaluate(vm: QuickJSContext, runtime: QuickJSRuntime, scope: Scope, job: Job, state: RunState): unknown {
  const names = parameterNames(job.context);
  const prefix = `(async function (input, context${names.map((n) => `, ${n}`).join('')}) {`;
  const unwrap = (result: { error?: QuickJSHandle; value?: QuickJSHandle }): QuickJSHandle => {
    if (result.error) throw codeError(vm, scope.manage(result.error), job, state, prefix.length);
    return scope.manage(result.value!);
  };

  const emit = scope.manage(
    vm.newFunction('emit', (levelHandle, messageHandle) => {
      if (++state.logLines > MAX_LOG_LINES) return;
      const level = vm.getString(levelHandle) as NodeLogLevel;
      if (state.logLines === MAX_LOG_LINES) job.log('warn', `console output truncated after ${MAX_LOG_LINES} lines`);
      else job.log(level, vm.getString(messageHandle), { source: 'console' });
    }),
  );
  const factory = unwrap(vm.evalCode(CONSOLE_FACTORY, 'console.js'));
  vm.setProp(vm.global, 'console', unwrap(vm.callFunction(factory, vm.undefined, emit)));

  // Captured before user code runs, so reassigning JSON inside the sandbox cannot fool the host.
  const json = scope.manage(vm.getProp(vm.global, 'JSON'));
  const parse = scope.manage(vm.getProp(json, 'parse'));
  const stringify = scope.manage(vm.getProp(json, 'stringify'));

  const fn = unwrap(vm.evalCode(`${prefix}${job.code}\n})`, FILENAME));
  const payload = unwrap(
    vm.callFunction(parse, json, scope.manage(vm.newString(JSON.stringify({ input: job.input ?? null, context: job.context })))),
  );
  const context = scope.manage(vm.getProp(payload, 'context'));
  const args = [scope.manage(vm.getProp(payload, 'input')), context, ...names.map((n) => scope.manage(vm.getProp(context, n)))];
  const promise = unwrap(vm.callFunction(fn, vm.undefined, ...args));

  let value: QuickJSHandle;
  for (;;) {
    const settled = vm.getPromiseState(promise);
    if (settled.type === 'fulfilled') {
      value = settled.notAPromise ? promise : scope.manage(settled.value);
      break;
    }
    if (settled.type === 'rejected') throw codeError(vm, scope.manage(settled.error), job, state, prefix.length);
    // The sandbox has no timers or I/O: once its job queue is empty nothing can settle the promise.
    if (!runtime.hasPendingJob()) {
      throw new NodeError('Code returned a promise that never settles (the sandbox has no timers or I/O)', {
        retryable: false,
        type: 'CodeError',
      });
    }
    const jobs = runtime.executePendingJobs();
    if (jobs.error) throw codeError(vm, scope.manage(jobs.error), job, state, prefix.length);
  }

  if (vm.typeof(value) === 'undefined') return null;
  const kind = vm.typeof(value);
  if (kind === 'function' || kind === 'symbol') {
    throw new NodeError(`Code returned a ${kind}, which is not JSON; return plain data`, {
      retryable: false,
      type: 'CodeResultError',
    });
  }
  const text = vm.callFunction(stringify, json, value);
  if (text.error) {
    const err = codeError(vm, scope.manage(text.error), job, state, prefix.length);
    if (!(err instanceof NodeError) || err.options.type !== 'CodeError') throw err;
    throw new NodeError(`Code returned a value that is not JSON: ${err.message.replace(/ \(line \d+\)$/, '')}`, {
      retryable: false,
      type: 'CodeResultError',
    });
  }
  const serialised = scope.manage(text.value);
  return vm.typeof(serialised) === 'string' ? JSON.parse(vm.getString(serialised)) : null;
}

/** Runs user JavaScript in a fresh QuickJS (WebAssembly) sandbox per execution. */
export const codeNode = defineNode({
  type: 'code',
  aliases: ['javascript', 'js', 'function'],
  name: 'Code',
  category: 'core',
  description:
    'Runs JavaScript (the body of an async function) in an isolated QuickJS sandbox with CPU-time and memory limits. ' +
    '`input` (the upstream output) and the run context (`trigger`, `vars`, `item`, `index`, node outputs by id; ' +
    'all of it as `context`) are in scope; the returned JSON value is the output `result`. ' +
    'There is no network, file system, `process` or `require`; `console.*` goes to the run log.',
  kind: 'activity',
  ports: ['default'],
  dataSchema,
  outputSchema: z.object({ result: z.unknown().describe('The JSON value the code returned (null for undefined)') }),
  defaults: {
    timeout_ms: MAX_TIMEOUT_MS + 5_000,
    retry: { max_attempts: 3, initial_interval_ms: 1_000, backoff_coefficient: 2 },
  },
  needsContext: true,
  example: { code: 'return input.items.filter((i) => i.price > 10).length;' },
  async execute(raw, ctx) {
    const parsed = renderedSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`);
      throw new NodeError(`Invalid code data: ${issues.join('; ')}`, { retryable: false, type: 'InvalidConfig' });
    }
    const data = parsed.data;
    const QuickJS = await loadQuickJS();
    ctx.signal.throwIfAborted();
    const job: Job = {
      code: data.code,
      input: ctx.input,
      context: ctx.context ?? {},
      timeoutMs: data.timeout_ms,
      memoryMb: data.memory_limit_mb,
      signal: ctx.signal,
      log: ctx.log.bind(ctx),
    };
    const started = Date.now();
    try {
      const result = runInSandbox(QuickJS, job);
      ctx.log('debug', `Code finished in ${Date.now() - started} ms`, { duration_ms: Date.now() - started });
      return { output: { result } };
    } catch (err) {
      if (err instanceof NodeError || ctx.signal.aborted) throw err;
      // A fault of the WebAssembly host itself (e.g. native stack exhausted by deeply nested data):
      // this module instance is no longer trustworthy, so the next execution loads a fresh one.
      if (quickjs && (await quickjs) === QuickJS) quickjs = undefined;
      throw new NodeError(`The code sandbox failed: ${(err as Error).message} (is the data or recursion nested too deeply?)`, {
        retryable: false,
        type: 'CodeSandboxError',
      });
    }
  },
});
