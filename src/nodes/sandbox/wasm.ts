/**
 * The slice of the WebAssembly JS API the code sandbox uses. The project's TypeScript libs
 * (ES2022 + @types/node 20) do not declare `WebAssembly`, and pulling in the DOM lib for it would
 * bring browser globals into server code.
 */

/** A compiled WebAssembly module; cloneable to worker threads. */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A WebAssembly linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}

/** The global `WebAssembly` object, typed. */
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
