// Reading and writing the WebAssembly binary format's small pieces (LEB128 numbers, names), for the
// module rewrites done before instantiation (memory-limit.ts, kernel.ts).

export class WasmFormatError extends Error {}

function readLeb(buf: Uint8Array, pos: number, maxBytes: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < maxBytes; i++) {
    if (pos >= buf.length) throw new WasmFormatError('truncated LEB128 number');
    const b = buf[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
  }
  throw new WasmFormatError('LEB128 number too long');
}

/** An unsigned LEB128 number at `pos`: [value, position after it]. */
export function readU32(buf: Uint8Array, pos: number): [number, number] {
  return readLeb(buf, pos, 5);
}

/** An unsigned LEB128 number of up to 64 bits (as a double: exact up to 2^53). */
export function readU64(buf: Uint8Array, pos: number): [number, number] {
  return readLeb(buf, pos, 10);
}

/** `n` as unsigned LEB128 bytes. */
export function writeU32(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** A name (vec(byte), UTF-8) at `pos`: [name, position after it]. */
export function readName(buf: Uint8Array, pos: number): [string, number] {
  let len: number;
  [len, pos] = readU32(buf, pos);
  if (pos + len > buf.length) throw new WasmFormatError('a name runs past the end of the module');
  return [Buffer.from(buf.buffer, buf.byteOffset + pos, len).toString('utf8'), pos + len];
}

/** `name` as a vec(byte). */
export function writeName(name: string): number[] {
  const bytes = [...Buffer.from(name, 'utf8')];
  return [...writeU32(bytes.length), ...bytes];
}

/** The module's sections in order: id, where its body starts and ends, where the section starts. */
export function sections(bytes: Uint8Array): Array<{ id: number; start: number; bodyStart: number; end: number }> {
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new WasmFormatError('missing the \\0asm magic number');
  }
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw new WasmFormatError('not a version 1 core module (a component?)');
  const out: Array<{ id: number; start: number; bodyStart: number; end: number }> = [];
  for (let pos = 8; pos < bytes.length; ) {
    const start = pos;
    const id = bytes[pos++]!;
    let size: number;
    [size, pos] = readU32(bytes, pos);
    const end = pos + size;
    if (end > bytes.length) throw new WasmFormatError(`section ${id} runs past the end of the module`);
    out.push({ id, start, bodyStart: pos, end });
    pos = end;
  }
  return out;
}

/** Concatenates byte chunks into one module. */
export function joinChunks(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** One entry of the import section. */
export interface WasmImport {
  module: string;
  name: string;
  /** 0 function, 1 table, 2 memory, 3 global, 4 tag */
  kind: number;
  /** Its descriptor's bytes, as in the module (a function's type index; a memory's limits; …). */
  desc: Uint8Array;
}

/** The entries of an import section's body. */
export function readImports(bytes: Uint8Array, bodyStart: number, end: number): WasmImport[] {
  let p = bodyStart;
  let count: number;
  [count, p] = readU32(bytes, p);
  const out: WasmImport[] = [];
  for (let i = 0; i < count; i++) {
    let module: string;
    let name: string;
    [module, p] = readName(bytes, p);
    [name, p] = readName(bytes, p);
    const kind = bytes[p++]!;
    const descStart = p;
    if (kind === 0x00) [, p] = readU32(bytes, p);
    else if (kind === 0x01) {
      p++; // reftype
      const f = bytes[p++]!;
      [, p] = readU32(bytes, p);
      if (f & 1) [, p] = readU32(bytes, p);
    } else if (kind === 0x02) {
      const flags = bytes[p++]!;
      const read = flags & 0x04 ? readU64 : readU32;
      [, p] = read(bytes, p);
      if (flags & 0x01) [, p] = read(bytes, p);
    } else if (kind === 0x03) p += 2;
    else if (kind === 0x04) {
      p++;
      [, p] = readU32(bytes, p);
    } else throw new WasmFormatError(`unknown import kind ${kind}`);
    if (p > end) throw new WasmFormatError('the import section runs past its end');
    out.push({ module, name, kind, desc: bytes.subarray(descStart, p) });
  }
  return out;
}
