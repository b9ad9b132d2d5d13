// The `wasm` runtime: untrusted plugins as WebAssembly modules (any language with an Extism PDK).
// Nothing is granted by default; the module's linear memory is capped by rewriting its declared
// maximum; each instance runs Extism in-process inside a plugway worker, so deadlines hold
// against infinite loops (the thread is terminated) while a call stays a few microseconds.

import { createHash } from 'node:crypto';
import type { ResourceLimits } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import { PlugwayError, reasonOf } from '../../errors.js';
import type { PluginRuntime, RuntimeInit } from '../types.js';
import { IsolatedRuntime, tuningOf } from '../isolated-runtime.js';
import type { RuntimeTuning } from '../isolated-runtime.js';
import { tsxApiUrls } from '../tsx.js';
import { serveModule } from '../worker/serve-module.js';
import { DeferredIsolatedRuntime } from '../deferred-runtime.js';
import { Wasm } from './wasm-api.js';
import type { WasmModule } from './wasm-api.js';
import { rewriteMemoryMaximum, WASM_PAGE_BYTES, WasmFormatError } from './memory-limit.js';
import { KERNEL_NAMESPACE, kernelModule, redirectInputImports, type InputImports } from './kernel.js';

/** Linear memory allowed when the manifest sets no resources.memory. */
export const DEFAULT_WASM_MEMORY_MB = 256;

/**
 * Extism's host-side memory options for a plugin allowed `limitMb`: its blocks (what a module
 * allocates through extism:host/env alloc, its input and host-function results) up to the same
 * number of pages as its linear memory, vars up to a quarter of it, HTTP bodies up to the
 * response limit. wasm-worker.ts charges module blocks before they are allocated.
 */
export function extismMemoryOptions(limitMb: number, maxResponseBytes: number): { maxPages: number; maxVarBytes: number; maxHttpResponseBytes: number } {
  const bytes = limitMb * 1024 * 1024;
  return {
    maxPages: Math.max(1, Math.floor(bytes / WASM_PAGE_BYTES)),
    maxVarBytes: Math.max(4096, Math.floor(bytes / 4)),
    maxHttpResponseBytes: Math.min(bytes, maxResponseBytes),
  };
}

/**
 * The wasm thread's own V8 heap: Extism's JavaScript, the request and the decoded response (a string
 * and its parsed JSON, up to maxResponseBytes each). Without it the thread gets V8's default (~4 GB).
 * Linear memory and Extism's blocks are ArrayBuffers outside this heap: they are capped above.
 */
export function wasmThreadLimits(maxResponseBytes: number): ResourceLimits {
  const responseMb = Math.ceil(maxResponseBytes / 1048576);
  return { maxOldGenerationSizeMb: 96 + 3 * responseMb, maxYoungGenerationSizeMb: 16 };
}

const PROVIDED_IMPORTS = new Set(['extism:host/env', 'extism:host/user', 'wasi_snapshot_preview1', KERNEL_NAMESPACE]);

/** Compiled modules by the sha256 of their (memory-capped) bytes: a reload or restart of the same code skips the compile. */
const compiled = new Map<string, Promise<WasmModule>>();
const COMPILED_KEEP = 32;

function compileCached(bytes: Uint8Array): Promise<WasmModule> {
  const key = createHash('sha256').update(bytes).digest('hex');
  let p = compiled.get(key);
  if (p) {
    compiled.delete(key); // most recently used last
    compiled.set(key, p);
    return p;
  }
  p = Wasm.compile(bytes);
  compiled.set(key, p);
  p.catch(() => compiled.delete(key));
  while (compiled.size > COMPILED_KEEP) compiled.delete(compiled.keys().next().value!);
  return p;
}

function extismConfig(config: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) if (v !== undefined) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

class WasmRuntime extends DeferredIsolatedRuntime {
  readonly type = 'wasm' as const;

  async load(): Promise<void> {
    const { manifest, entryPath } = this.init;
    const id = manifest.id;
    if (manifest.permissions.fs.length) throw new PlugwayError('PLW_ERR_WASM_FS_REFUSED', { id });
    if (!entryPath) throw new PlugwayError('PLW_ERR_ENTRY_INVALID', { id, entry: '(none)', reason: 'a wasm plugin needs runtime.entry pointing at its .wasm file' });
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(entryPath));
    } catch (err) {
      throw new PlugwayError('PLW_ERR_ENTRY_NOT_FOUND', { id, entry: entryPath, file: 'plugin.yaml' }, { cause: err });
    }
    const limitMb = manifest.resources.memory ?? DEFAULT_WASM_MEMORY_MB;
    const capPages = Math.max(1, Math.floor((limitMb * 1024 * 1024) / WASM_PAGE_BYTES));
    let rewritten: ReturnType<typeof rewriteMemoryMaximum>;
    try {
      rewritten = rewriteMemoryMaximum(bytes, capPages);
    } catch (err) {
      if (err instanceof WasmFormatError) throw new PlugwayError('PLW_ERR_WASM_INVALID_MODULE', { id, file: entryPath, reason: err.message });
      throw err;
    }
    for (const m of rewritten.memories) {
      if (m.imported) throw new PlugwayError('PLW_ERR_WASM_INVALID_MODULE', { id, file: entryPath, reason: 'it imports its memory; plugway caps only memories a module defines' });
      if (m.min > capPages) {
        throw new PlugwayError('PLW_ERR_WASM_MEMORY_TOO_LARGE', { id, minMb: Math.round((m.min * WASM_PAGE_BYTES) / 1048576), limitMb });
      }
    }
    // The input imports go to plugway's input kernel (kernel.ts): the module reads its input ~30× faster.
    let input: InputImports;
    let module: WasmModule;
    try {
      input = redirectInputImports(rewritten.bytes);
      module = await compileCached(input.bytes);
    } catch (err) {
      throw new PlugwayError('PLW_ERR_WASM_INVALID_MODULE', { id, file: entryPath, reason: reasonOf(err) });
    }
    const imports = Wasm.Module.imports(module);
    const foreign = imports.find((i) => !PROVIDED_IMPORTS.has(i.module));
    if (foreign) {
      throw new PlugwayError('PLW_ERR_WASM_INVALID_MODULE', {
        id,
        file: entryPath,
        reason: `it imports ${foreign.module}::${foreign.name}, which plugway does not provide (only extism:host/env, extism:host/user and WASI without files)`,
      });
    }
    const exported = new Set(Wasm.Module.exports(module).map((e) => e.name));
    for (const e of manifest.endpoints) {
      if (e.function && !exported.has(e.function)) throw new PlugwayError('PLW_ERR_WASM_EXPORT_MISSING', { id, export: `${e.function} (endpoint ${e.method} ${e.path})` });
    }
    if (!exported.has('handle_request') && manifest.endpoints.some((e) => !e.function && e.protocol !== 'websocket')) {
      throw new PlugwayError('PLW_ERR_WASM_EXPORT_MISSING', { id, export: 'handle_request (endpoints without `function:` are served by it)' });
    }
    const ws = manifest.endpoints.find((e) => e.protocol === 'websocket');
    if (ws && !exported.has('on_message') && !exported.has('on_open')) {
      throw new PlugwayError('PLW_ERR_WASM_EXPORT_MISSING', { id, export: `on_message or on_open (WebSocket endpoint ${ws.path})` });
    }
    // A checkout's wasm-worker.ts is bundled once per process: no tsx registered in every thread.
    const serve = await serveModule(import.meta.url, 'wasm-worker');
    const network = manifest.permissions.network;
    const fetchPolicy = this.fetchPolicy;
    const threadLimits = wasmThreadLimits(this.tuning.maxResponseBytes);
    this.inner = new IsolatedRuntime(this.init, {
      type: 'wasm',
      serveModule: serve.url,
      sdkHook: false, // the thread runs Extism, no plugin JavaScript
      ...(serve.typescript ? { tsx: tsxApiUrls() } : {}),
      extra: {
        module,
        ...(input.redirected.length ? { kernel: { module: await kernelModule(), extismNeedsInput: input.extismNeedsInput } } : {}),
        config: extismConfig(this.init.config),
        network,
        operatorHosts: fetchPolicy.allowedHosts,
        endpoints: manifest.endpoints,
        capPages,
        useWasi: imports.some((i) => i.module === 'wasi_snapshot_preview1'),
        memory: extismMemoryOptions(limitMb, this.tuning.maxResponseBytes),
      },
      resourceLimits: threadLimits,
      memoryMb: threadLimits.maxOldGenerationSizeMb!,
      tuning: this.tuning,
      toError: (wire) => {
        if (wire.code === 'PLW_ERR_WASM_MEMORY_LIMIT') this.init.onEvent?.({ type: 'runtime.wasm_memory_limit', data: { pluginId: id, ...wire.params } });
        if (wire.code === 'PLW_ERR_WASM_HOST_MEMORY_LIMIT') this.init.onEvent?.({ type: 'runtime.wasm_host_memory_limit', data: { pluginId: id, runtime: 'wasm', ...wire.params } });
        if (wire.code === 'PLW_ERR_WASM_HOST_DENIED' || wire.code === 'PLW_ERR_FETCH_HOST_NOT_ALLOWED')
          this.init.onEvent?.({ type: 'runtime.wasm_host_denied', data: { pluginId: id, ...wire.params } });
        if (wire.code === 'PLW_ERR_FETCH_TOO_LARGE') this.init.onEvent?.({ type: 'runtime.fetch_too_large', data: { pluginId: id, runtime: 'wasm', ...wire.params } });
        return undefined;
      },
      bridgeOp: async (op, args) => {
        if (op !== 'http.fetch') throw new Error(`unknown bridge op ${op}`);
        return this.fetch(args[0] as { url: string; method: string; headers: Record<string, string>; body?: string });
      },
    });
    await this.inner.load();
  }

  /**
   * HTTP for the plugin, on the main thread (fetch-policy.ts): the hosts are checked again here, and
   * the body is read as a stream and aborted at the limit. The wasm thread waits meanwhile; past its
   * deadline it is ended and so is this. Refusals reach the plugin's call as its error (toError makes the events).
   */
  private async fetch(req: { url: string; method: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
    const res = await this.fetchForPlugin({ ...req, ...(req.body ? { body: Buffer.from(req.body, 'base64') } : {}) }, { notGranted: 'PLW_ERR_WASM_HOST_DENIED' });
    return { status: res.status, body: res.body.toString('base64') };
  }
}

export function createWasmRuntime(init: RuntimeInit, tuning: Partial<RuntimeTuning> = {}): PluginRuntime {
  return new WasmRuntime(init, tuningOf(init, tuning));
}
