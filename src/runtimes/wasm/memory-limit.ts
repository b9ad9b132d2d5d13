// Caps a WebAssembly module's own linear memory: reads its memory section and rewrites the
// declared maximum to the allowed number of 64 KiB pages before instantiation. Extism's
// `memory.maxPages` limits only host-side buffers, so this is the cap that holds.

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

export class WasmFormatError extends Error {}

function readU32(buf: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (pos >= buf.length) throw new WasmFormatError('truncated LEB128 number');
    const b = buf[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
  }
  throw new WasmFormatError('LEB128 number too long');
}

function readU64(buf: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new WasmFormatError('truncated LEB128 number');
    const b = buf[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
  }
  throw new WasmFormatError('LEB128 number too long');
}

function writeU32(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
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
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmFormatError('missing the \\0asm magic number');
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw new WasmFormatError('not a version 1 core module (a component?)');
  const chunks: Uint8Array[] = [bytes.subarray(0, 8)];
  const memories: MemoryLimits[] = [];
  let pos = 8;
  while (pos < bytes.length) {
    const start = pos;
    const id = bytes[pos++]!;
    let size: number;
    [size, pos] = readU32(bytes, pos);
    const bodyStart = pos;
    const end = bodyStart + size;
    if (end > bytes.length) throw new WasmFormatError(`section ${id} runs past the end of the module`);
    if (id === 2) {
      // Import section: note imported memories (their limits are the importer's business).
      let p = bodyStart;
      let count: number;
      [count, p] = readU32(bytes, p);
      for (let i = 0; i < count; i++) {
        for (let s = 0; s < 2; s++) {
          let len: number;
          [len, p] = readU32(bytes, p);
          p += len;
        }
        const kind = bytes[p++]!;
        if (kind === 0x00) [, p] = readU32(bytes, p);
        else if (kind === 0x01) {
          p++; // reftype
          const f = bytes[p++]!;
          [, p] = readU32(bytes, p);
          if (f & 1) [, p] = readU32(bytes, p);
        } else if (kind === 0x02) {
          let m: MemoryLimits;
          [m, p] = readLimits(bytes, p, true);
          memories.push(m);
        } else if (kind === 0x03) p += 2;
        else if (kind === 0x04) {
          p++;
          [, p] = readU32(bytes, p);
        } else throw new WasmFormatError(`unknown import kind ${kind}`);
      }
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
    pos = end;
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return { bytes: out, memories, capPages };
}
