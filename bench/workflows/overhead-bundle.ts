/**
 * Workflow bundle entry of `bench/interpreter-overhead.ts`: a worker takes one bundle, so this one
 * holds the platform's workflows (exactly what `workflows/index.ts` exports) and the hand-written
 * baseline side by side.
 */
export { runFlow, runLoopBatch } from '../../workflows';
export { handWrittenChain } from './hand-written-chain';
