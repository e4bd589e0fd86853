/** Everything the worker's workflow bundle exports. */
export { runFlow } from './run-flow';
export { runLoopBatch } from './loop-batch';
export { deliverWebhook } from './deliver-webhook';
