/**
 * Loaded once into the worker's reusable V8 context, before any workflow runs (`preloadModules`
 * in src/worker/workflow-bundle.ts), instead of once per run.
 *
 * - JSONata and the pure modules of src/shared the interpreter uses: a run no longer evaluates
 *   them again, and the compiled-expression cache is shared by every run of the worker. Only
 *   modules without per-run state belong here (the SDK freezes what they export).
 * - `Error.stackTraceLimit = 0` for workflow code (the SDK freezes `Error` right after this runs,
 *   so the value holds for every run). The SDK records a stack trace, mapped through the bundle's
 *   source map, for every promise workflow code creates, to answer the `__stack_trace` query; a
 *   JSONata evaluation creates dozens of promises, so this was most of a control node's cost. In
 *   exchange the Web UI's "Stack Trace" tab and the stack of failures raised by workflow code are
 *   empty: a run's position is in its status query (`GET /executions/{id}`) and failures carry
 *   their messages. docs/engine.md, "What a control node costs".
 */
import 'jsonata';
import '../src/shared/expression-compiler';
import '../src/shared/expressions';
import '../src/shared/flow';
import '../src/shared/failures';

Error.stackTraceLimit = 0;
