import { parentPort, workerData } from 'node:worker_threads';
import { runSandboxed, type SandboxJob } from './quickjs-sandbox';
import { type WasmModule } from './wasm';

/**
 * Entry of a code-sandbox worker thread: runs the jobs the pool sends, one at a time, and reports
 * `started`, each console line (`log`) and the outcome (`done`) back.
 */

/** A job as the pool posts it. */
export interface SandboxRequest {
  id: number;
  job: SandboxJob;
}

const { wasmModule } = workerData as { wasmModule: WasmModule };
const port = parentPort!;

port.on('message', async ({ id, job }: SandboxRequest) => {
  const outcome = await runSandboxed(
    wasmModule,
    job,
    (level, message) => port.postMessage({ id, type: 'log', level, message }),
    () => port.postMessage({ id, type: 'started' }),
  );
  port.postMessage({ id, type: 'done', outcome });
});
