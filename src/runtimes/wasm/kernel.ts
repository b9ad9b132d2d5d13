// The input kernel (kernel.wat): a call's input lives in a small WebAssembly module's memory, and
// the Extism imports a plugin reads it with are linked to the kernel's functions instead of
// Extism's JavaScript ones. Every PDK reads its input 8 bytes per host call (input_load_u64); as
// JavaScript functions those cost ~60 ns each (BigInt in, BigInt out), 0.5 ms for 64 KiB, as
// WebAssembly-to-WebAssembly calls ~2 ns. The module is rewritten before it is compiled (its
// imports of those three functions name the kernel's namespace), and Extism links the kernel as a
// named module of the plugin's manifest.

import { Buffer } from 'node:buffer';
import { isWellFormed, SEG_MIN_CHARS, TextBytes } from '../worker/frame.js';
import { KERNEL_WASM_BASE64 } from './kernel-bytes.js';
import { joinChunks, readImports, readU32, sections, WasmFormatError, writeName, writeU32 } from './wasm-binary.js';
import { Wasm, type WasmInstance, type WasmMemory, type WasmModule } from './wasm-api.js';

/** The namespace the rewritten imports name, and the kernel's name in the Extism manifest. */
export const KERNEL_NAMESPACE = 'plugway:kernel';
const EXTISM_ENV = 'extism:host/env';
/** The Extism imports the kernel serves, with the function type each must have. */
const SERVED: Record<string, string> = { input_length: '->7e', input_load_u64: '7e->7e', input_load_u8: '7e->7f' };

export interface InputImports {
  /** The module with the served imports renamed (the same bytes when none). */
  bytes: Uint8Array;
  /** Which imports now come from the kernel. */
  redirected: string[];
  /** The module may still read Extism's own input block (input_offset, or an input import the kernel did not take). */
  extismNeedsInput: boolean;
}

/** Function types of the type section as "params->results" in hex valtypes; undefined where a type is not a plain function type. */
function functionTypes(bytes: Uint8Array, bodyStart: number): Array<string | undefined> {
  let p = bodyStart;
  let count: number;
  [count, p] = readU32(bytes, p);
  const out: Array<string | undefined> = [];
  for (let i = 0; i < count; i++) {
    // 0x60: a function type; anything else (GC's rec groups, structs) ends what is understood here
    if (bytes[p++] !== 0x60) return out;
    const parts: string[] = [];
    for (let side = 0; side < 2; side++) {
      let n: number;
      [n, p] = readU32(bytes, p);
      const types: string[] = [];
      for (let k = 0; k < n; k++) types.push(bytes[p++]!.toString(16));
      parts.push(types.join(','));
    }
    out.push(parts.join('->'));
  }
  return out;
}

/** Renames the module's imports of Extism's input functions to the kernel's namespace, where their types match. */
export function redirectInputImports(bytes: Uint8Array): InputImports {
  const chunks: Uint8Array[] = [bytes.subarray(0, 8)];
  const redirected: string[] = [];
  let extismNeedsInput = false;
  let types: Array<string | undefined> = [];
  for (const { id, start, bodyStart, end } of sections(bytes)) {
    if (id === 1) types = functionTypes(bytes, bodyStart);
    if (id !== 2) {
      chunks.push(bytes.subarray(start, end));
      continue;
    }
    const imports = readImports(bytes, bodyStart, end);
    const body: number[] = writeU32(imports.length);
    for (const imp of imports) {
      if (imp.module === KERNEL_NAMESPACE) throw new WasmFormatError(`it imports ${KERNEL_NAMESPACE}::${imp.name}, a namespace plugway keeps for itself`);
      let module = imp.module;
      if (module === EXTISM_ENV && imp.kind === 0x00 && imp.name.startsWith('input_')) {
        const want = SERVED[imp.name];
        if (want && types[readU32(imp.desc, 0)[0]] === want) {
          module = KERNEL_NAMESPACE;
          redirected.push(imp.name);
        } else extismNeedsInput = true;
      }
      body.push(...writeName(module), ...writeName(imp.name), imp.kind, ...imp.desc);
    }
    chunks.push(Uint8Array.of(2, ...writeU32(body.length), ...body));
  }
  return redirected.length ? { bytes: joinChunks(chunks), redirected, extismNeedsInput } : { bytes, redirected, extismNeedsInput: true };
}

let compiled: Promise<WasmModule> | undefined;

/** The kernel, compiled once per process (a WebAssembly.Module crosses to worker threads as it is). */
export function kernelModule(): Promise<WasmModule> {
  compiled ??= Wasm.compile(new Uint8Array(Buffer.from(KERNEL_WASM_BASE64, 'base64')));
  return compiled;
}

interface KernelExports {
  memory: WasmMemory & { grow(pages: number): number };
  set_input_length(n: bigint): void;
  json_clean(from: number, to: number): number;
}

/** The kernel instance of one plugin instance, seen from the thread that calls it: puts each call's input in. */
export class InputKernel {
  private bytes: Buffer;
  private length = 0;

  private constructor(private readonly k: KernelExports) {
    this.bytes = Buffer.from(k.memory.buffer);
  }

  /**
   * Runs `create` (Extism's createPlugin with the kernel in its manifest) and returns what it made
   * with the kernel instance Extism made for it. Extism gives no handle on a linked module's
   * instance, so WebAssembly.instantiate is watched for the kernel module while `create` runs (this
   * thread runs nothing else meanwhile). Extism is pinned (2.0.0-rc13); test/runtimes/wasm-kernel.test.ts
   * fails if it stops instantiating linked modules this way.
   */
  static async instantiate<T>(kernel: WasmModule, create: () => Promise<T>): Promise<[T, InputKernel]> {
    const api = Wasm as unknown as { instantiate(source: unknown, imports?: unknown): Promise<unknown> };
    const original = api.instantiate;
    let made: WasmInstance | undefined;
    api.instantiate = function (this: unknown, source: unknown, imports?: unknown) {
      const p = original.call(this, source, imports);
      return source === kernel ? p.then((inst) => (made = inst as WasmInstance)) : p;
    };
    try {
      const out = await create();
      if (!made) throw new Error(`Extism did not instantiate ${KERNEL_NAMESPACE} as a linked module (plugway expects @extism/extism 2.0.0-rc13)`);
      return [out, new InputKernel(made.exports as unknown as KernelExports)];
    } finally {
      api.instantiate = original;
    }
  }

  /** The call's input: a string (as UTF-8) or bytes. */
  set(input: string | Uint8Array): void {
    if (typeof input === 'string') {
      this.reserve(input.length * 3);
      this.commit(this.bytes.write(input, 0, 'utf8'));
    } else {
      this.reserve(input.byteLength);
      this.bytes.set(input, 0);
      this.commit(input.byteLength);
    }
  }

  /**
   * The call's input: `value` as JSON. A long string under `longKey` (a request body; TextBytes when
   * it came from the ring) goes in after the rest, as UTF-8, checked by the kernel (64 bytes a step)
   * instead of escaped by JSON.stringify (~57 µs for 64 KiB); it takes JSON.stringify only when it
   * does need escaping.
   */
  setJson(value: unknown, longKey?: string): void {
    const long = longKey === undefined || value === null || typeof value !== 'object' ? undefined : (value as Record<string, unknown>)[longKey];
    const text = typeof long === 'string' && long.length >= SEG_MIN_CHARS && isWellFormed(long);
    if (text || long instanceof TextBytes) {
      const head = JSON.stringify({ ...(value as object), [longKey!]: undefined });
      const prefix = `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}${JSON.stringify(longKey)}:"`;
      const bytes = text ? (long as string).length * 3 : (long as TextBytes).bytes.byteLength;
      this.reserve(prefix.length * 3 + bytes + 2);
      const from = this.bytes.write(prefix, 0, 'utf8');
      let n = from;
      if (text) n += this.bytes.write(long as string, from, 'utf8');
      else {
        this.bytes.set((long as TextBytes).bytes, from);
        n += bytes;
      }
      if (this.k.json_clean(from, n)) {
        this.bytes[n++] = 0x22; // "
        this.bytes[n++] = 0x7d; // }
        this.commit(n);
        if (long instanceof TextBytes) long.release();
        return;
      }
    }
    this.set(JSON.stringify(value) ?? '');
    if (long instanceof TextBytes) long.release();
  }

  /** The current input in an ArrayBuffer of its own (Extism adopts such a buffer as its input block without copying). */
  copy(): Uint8Array {
    return new Uint8Array(this.bytes.subarray(0, this.length));
  }

  private reserve(size: number): void {
    if (size <= this.bytes.length) return;
    this.k.memory.grow(Math.ceil((size - this.bytes.length) / 65536));
    this.bytes = Buffer.from(this.k.memory.buffer);
  }

  private commit(n: number): void {
    this.length = n;
    this.k.set_input_length(BigInt(n));
  }
}
