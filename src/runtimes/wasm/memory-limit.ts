// Caps a WebAssembly module's own linear memory: reads its memory section and rewrites the
// declared maximum to the allowed number of 64 KiB pages before instantiation. Extism's
// `memory.maxPages` limits only host-side buffers, so this is the cap that holds.

import { joinChunks, readImports, readU32, readU64, sections, WasmFormatError, writeU32 } from './wasm-binary.js';

export { WasmFormatError };

export const WASM_PAGE_BYTES = 64 * 1024;

export interface MemoryLimits {
  /** Pages declared as minimum. */
  min: number;
  /** Pages declared as maximum (undefined: none declared). */
  max?: number;
  shared: boolean;
  memory64: boolean;
  imported: boolean;
}

export interface RewriteResult {
  bytes: Uint8Array;
  /** Memories found (defined in the module; imported ones are reported with imported: true). */
  memories: MemoryLimits[];
  capPages: number;
}

function readLimits(buf: Uint8Array, pos: number, imported: boolean): [MemoryLimits, number] {
  const flags = buf[pos++]!;
  const memory64 = (flags & 0x04) !== 0;
  const read = memory64 ? readU64 : readU32;
  let min: number;
  let max: number | undefined;
  [min, pos] = read(buf, pos);
  if (flags & 0x01) [max, pos] = read(buf, pos);
  return [{ min, ...(max === undefined ? {} : { max }), shared: (flags & 0x02) !== 0, memory64, imported }, pos];
}

/** Lists the module's memories without changing anything. */
export function readMemories(bytes: Uint8Array): MemoryLimits[] {
  return rewriteMemoryMaximum(bytes, Number.MAX_SAFE_INTEGER).memories;
}

/**
 * Returns the module with every defined memory's maximum set to min(declared max, capPages).
 * Sections other than the memory section are copied byte for byte.
 */
export function rewriteMemoryMaximum(bytes: Uint8Array, capPages: number): RewriteResult {
  const all = sections(bytes);
  const chunks: Uint8Array[] = [bytes.subarray(0, 8)];
  const memories: MemoryLimits[] = [];
  for (const { id, start, bodyStart, end } of all) {
    if (id === 2) {
      // Import section: note imported memories (their limits are the importer's business).
      for (const imp of readImports(bytes, bodyStart, end)) if (imp.kind === 0x02) memories.push(readLimits(imp.desc, 0, true)[0]);
      chunks.push(bytes.subarray(start, end));
    } else if (id === 5) {
      let p = bodyStart;
      let count: number;
      [count, p] = readU32(bytes, p);
      const body: number[] = writeU32(count);
      for (let i = 0; i < count; i++) {
        let m: MemoryLimits;
        [m, p] = readLimits(bytes, p, false);
        memories.push(m);
        if (m.memory64) throw new WasmFormatError('64-bit memories are not supported');
        const max = Math.min(m.max ?? Number.MAX_SAFE_INTEGER, capPages, 65536);
        body.push(0x01 | (m.shared ? 0x02 : 0), ...writeU32(m.min), ...writeU32(Math.max(max, m.min)));
      }
      if (p !== end) throw new WasmFormatError('memory section has trailing bytes');
      chunks.push(Uint8Array.of(5, ...writeU32(body.length), ...body));
    } else {
      chunks.push(bytes.subarray(start, end));
    }
  }
  return { bytes: joinChunks(chunks), memories, capPages };
}
