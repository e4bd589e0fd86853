import {
  newQuickJSWASMModule,
  newVariant,
  RELEASE_SYNC,
  Scope,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
} from 'quickjs-emscripten';
import { NodeError, type NodeLogLevel } from '../node-definition';
import { wasm, type WasmModule } from './wasm';

/** One execution of user code, as it crosses into the sandbox thread. */
export interface SandboxJob {
  /** Body of an async function. */
  code: string;
  /** JSON of `{input, context}`. */
  payload: string;
  /** Keys of `context` passed as variables of their own (valid, non-reserved identifiers). */
  names: string[];
  timeoutMs: number;
  memoryMb: number;
}

/** How a job ended; errors are plain data so they can cross the thread boundary. */
export type SandboxOutcome =
  { ok: true; result: unknown } | { ok: false; error: { message: string; type: string; details?: unknown } };

/** Receives each `console.*` line of the user code. */
export type SandboxLog = (level: NodeLogLevel, message: string) => void;

const MB = 1024 * 1024;
const WASM_PAGE = 64 * 1024;
/** What the QuickJS module itself occupies in its linear memory (Emscripten's initial 16 MB). */
const MODULE_BASE_MB = 16;
/** QuickJS's own stack limit; well below what the thread's native stack can take for JS recursion. */
const MAX_STACK_BYTES = 256 * 1024;
const MAX_LOG_LINES = 1_000;
const MAX_LOG_CHARS = 4_000;
const FILENAME = 'code.js';

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

interface RunState {
  timedOut: boolean;
  logLines: number;
}

function memoryError(job: SandboxJob): NodeError {
  return new NodeError(`Code exceeded the memory limit of ${job.memoryMb} MB`, {
    retryable: false,
    type: 'CodeMemoryLimit',
  });
}

function codeError(
  vm: QuickJSContext,
  error: QuickJSHandle,
  job: SandboxJob,
  state: RunState,
  prefixLength: number,
): NodeError {
  if (state.timedOut) {
    return new NodeError(`Code timed out after ${job.timeoutMs} ms`, {
      retryable: false,
      type: 'CodeTimeout',
    });
  }
  let dumped: unknown;
  try {
    dumped = vm.dump(error);
  } catch {
    // Describing the error needs memory too; failing to do so means the heap is exhausted.
    return memoryError(job);
  }
  const e = (dumped && typeof dumped === 'object' ? dumped : {}) as {
    name?: string;
    message?: string;
    stack?: string;
  };
  // QuickJS throws null when it cannot even allocate the "out of memory" error.
  if (dumped === null || (e.name === 'InternalError' && /out of memory/i.test(e.message ?? '')))
    return memoryError(job);
  if (typeof dumped !== 'object') {
    return new NodeError(`Code threw ${JSON.stringify(dumped) ?? String(dumped)}`, {
      retryable: false,
      type: 'CodeError',
    });
  }
  const where = /code\.js:(\d+)(?::(\d+))?/.exec(e.stack ?? '');
  const line = where ? Number(where[1]) : undefined;
  const column = where?.[2] ? Number(where[2]) - (line === 1 ? prefixLength : 0) : undefined;
  const name = e.name ?? 'Error';
  return new NodeError(`${name}: ${e.message ?? ''}${line ? ` (line ${line})` : ''}`, {
    retryable: false,
    type: 'CodeError',
    details: { name, message: e.message, line, column, stack: e.stack?.slice(0, 2_000) },
  });
}

function evaluate(
  vm: QuickJSContext,
  runtime: QuickJSRuntime,
  scope: Scope,
  job: SandboxJob,
  state: RunState,
  log: SandboxLog,
): unknown {
  const prefix = `(async function (input, context${job.names.map((n) => `, ${n}`).join('')}) {`;
  const unwrap = (result: { error?: QuickJSHandle; value?: QuickJSHandle }): QuickJSHandle => {
    if (result.error) throw codeError(vm, scope.manage(result.error), job, state, prefix.length);
    return scope.manage(result.value!);
  };

  const emit = scope.manage(
    vm.newFunction('emit', (levelHandle, messageHandle) => {
      if (++state.logLines > MAX_LOG_LINES) return;
      if (state.logLines === MAX_LOG_LINES)
        log('warn', `console output truncated after ${MAX_LOG_LINES} lines`);
      else log(vm.getString(levelHandle) as NodeLogLevel, vm.getString(messageHandle));
    }),
  );
  const factory = unwrap(vm.evalCode(CONSOLE_FACTORY, 'console.js'));
  vm.setProp(vm.global, 'console', unwrap(vm.callFunction(factory, vm.undefined, emit)));

  // Captured before user code runs, so reassigning JSON inside the sandbox cannot fool the host.
  const json = scope.manage(vm.getProp(vm.global, 'JSON'));
  const parse = scope.manage(vm.getProp(json, 'parse'));
  const stringify = scope.manage(vm.getProp(json, 'stringify'));

  const fn = unwrap(vm.evalCode(`${prefix}${job.code}\n})`, FILENAME));
  const payload = unwrap(vm.callFunction(parse, json, scope.manage(vm.newString(job.payload))));
  const context = scope.manage(vm.getProp(payload, 'context'));
  const args = [
    scope.manage(vm.getProp(payload, 'input')),
    context,
    ...job.names.map((n) => scope.manage(vm.getProp(context, n))),
  ];
  const promise = unwrap(vm.callFunction(fn, vm.undefined, ...args));

  let value: QuickJSHandle;
  for (;;) {
    const settled = vm.getPromiseState(promise);
    if (settled.type === 'fulfilled') {
      value = settled.notAPromise ? promise : scope.manage(settled.value);
      break;
    }
    if (settled.type === 'rejected')
      throw codeError(vm, scope.manage(settled.error), job, state, prefix.length);
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

  const kind = vm.typeof(value);
  if (kind === 'undefined') return null;
  if (kind === 'function' || kind === 'symbol') {
    throw new NodeError(`Code returned a ${kind}, which is not JSON; return plain data`, {
      retryable: false,
      type: 'CodeResultError',
    });
  }
  const text = vm.callFunction(stringify, json, value);
  if (text.error) {
    const err = codeError(vm, scope.manage(text.error), job, state, prefix.length);
    if (err.options.type !== 'CodeError') throw err;
    throw new NodeError(
      `Code returned a value that is not JSON: ${err.message.replace(/ \(line \d+\)$/, '')}`,
      {
        retryable: false,
        type: 'CodeResultError',
      },
    );
  }
  const serialised = scope.manage(text.value);
  return vm.typeof(serialised) === 'string' ? JSON.parse(vm.getString(serialised)) : null;
}

/**
 * Runs one job in a fresh QuickJS instance: its own WebAssembly memory (capped at the job's memory
 * limit plus the module's base, because QuickJS's own limit does not account large strings and
 * buffers), runtime and context, all disposed afterwards. Synchronous once started; the caller
 * runs it on a worker thread that can be terminated if a long native operation overruns the deadline.
 * @param wasmModule - the compiled QuickJS module, compiled once and shared
 * @param onStart - called when user code is about to run (the caller's hard deadline starts here)
 */
export async function runSandboxed(
  wasmModule: WasmModule,
  job: SandboxJob,
  log: SandboxLog,
  onStart: () => void = () => {},
): Promise<SandboxOutcome> {
  try {
    const memory = new wasm.Memory({
      initial: (MODULE_BASE_MB * MB) / WASM_PAGE,
      maximum: ((MODULE_BASE_MB + job.memoryMb) * MB) / WASM_PAGE,
    });
    const QuickJS = await newQuickJSWASMModule(newVariant(RELEASE_SYNC, { wasmModule, wasmMemory: memory }));
    const state: RunState = { timedOut: false, logLines: 0 };
    const runtime = QuickJS.newRuntime();
    runtime.setMemoryLimit(job.memoryMb * MB);
    runtime.setMaxStackSize(MAX_STACK_BYTES);
    onStart();
    const deadline = Date.now() + job.timeoutMs;
    runtime.setInterruptHandler(() => (state.timedOut ||= Date.now() > deadline));
    const vm = runtime.newContext();
    let result: unknown;
    try {
      result = Scope.withScope((scope) => evaluate(vm, runtime, scope, job, state, log));
    } catch (err) {
      if (!(err instanceof NodeError)) throw err;
      vm.dispose();
      runtime.dispose();
      throw err;
    }
    vm.dispose();
    runtime.dispose();
    return { ok: true, result };
  } catch (err) {
    if (err instanceof NodeError) {
      return {
        ok: false,
        error: { message: err.message, type: err.options.type ?? 'CodeError', details: err.options.details },
      };
    }
    // A fault of the WebAssembly host itself (native stack exhausted by deeply nested data, memory
    // growth refused mid-allocation): this instance is dropped whole rather than disposed.
    const message = (err as Error)?.message ?? String(err);
    return /out of memory|enlarge memory|OOM/i.test(message)
      ? {
          ok: false,
          error: { message: `Code exceeded the memory limit of ${job.memoryMb} MB`, type: 'CodeMemoryLimit' },
        }
      : {
          ok: false,
          error: {
            message: `The code sandbox failed: ${message} (is the data or recursion nested too deeply?)`,
            type: 'CodeSandboxError',
          },
        };
  }
}
