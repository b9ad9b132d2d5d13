// The slice of the global WebAssembly API the wasm runtime uses. TypeScript's ES2023 lib and
// @types/node 20 do not declare it (it lives in the DOM lib), so it is typed here.

export interface WasmModule {
  readonly __brand?: 'WebAssembly.Module';
}
export interface WasmImportDescriptor {
  module: string;
  name: string;
  kind: string;
}
export interface WasmExportDescriptor {
  name: string;
  kind: string;
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(bytes: Uint8Array, imports?: Record<string, Record<string, unknown>>): Promise<{ module: WasmModule; instance: WasmInstance }>;
  Module: { imports(m: WasmModule): WasmImportDescriptor[]; exports(m: WasmModule): WasmExportDescriptor[] };
  Memory: new (...args: never[]) => WasmMemory;
}

export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
