// A single-producer single-consumer ring of length-prefixed messages in a SharedArrayBuffer, with
// Atomics for wake-ups: the fast path between the main thread and a plugin worker. A message is
// UTF-8 JSON, or a Frame (frame.ts): JSON plus raw segments (long strings, byte arrays) written
// into the shared memory and read out of it once each.

import { frameBytes, frameBytesBound, segBytes, TextBytes, type Frame, type Wire } from './frame.js';

const SEQ = 0; // bumped on every write; readers wait on it
const HEAD = 1; // read offset (only the reader writes it)
const TAIL = 2; // write offset (only the writer writes it)
const USED = 3; // bytes in use, including wrap padding
const WAITING = 4; // waits armed on SEQ (an async and a blocking one may overlap): writers skip Atomics.notify (a costly call) at 0
const HEADER_BYTES = 32;
const WRAP = 0xffffffff;
/** A length word with this bit set starts a Frame with segments. */
const SEGMENTED = 0x80000000;
/** A segment's word: its kind in the top two bits, then 3 bits of padding before its bytes, then their count. */
const SEG_UTF8 = 0;
const SEG_ASCII = 1; // written as UTF-8 with one byte per unit: read back as latin1 (faster, same string)
const SEG_BYTES = 2;
const KIND_SHIFT = 30;
const PAD_SHIFT = 27;
const SEG_MAX_BYTES = (1 << PAD_SHIFT) - 1;

export interface RingBuffers {
  /** main → worker */
  toWorker: SharedArrayBuffer;
  /** worker → main */
  toMain: SharedArrayBuffer;
}

export function createRingBuffers(capacityBytes: number): RingBuffers {
  const cap = Math.max(4096, capacityBytes - (capacityBytes % 4));
  return { toWorker: new SharedArrayBuffer(HEADER_BYTES + cap), toMain: new SharedArrayBuffer(HEADER_BYTES + cap) };
}

export class Ring {
  readonly ctl: Int32Array;
  /** The data area as a Buffer: UTF-8 is written into and read out of the shared memory in place (no copies). */
  private readonly data: Buffer;
  private readonly view: DataView;
  private readonly cap: number;
  /** Largest message the ring takes; larger ones go by postMessage. */
  readonly maxMessageBytes: number;

  constructor(
    sab: SharedArrayBuffer,
    /** Long strings are read as TextBytes (their UTF-8, not decoded) instead of strings. */
    private readonly textAsBytes = false,
  ) {
    this.ctl = new Int32Array(sab, 0, 5);
    this.data = Buffer.from(sab, HEADER_BYTES);
    this.view = new DataView(sab, HEADER_BYTES);
    this.cap = this.data.length;
    this.maxMessageBytes = Math.min(Math.floor(this.cap / 2) - 8, SEG_MAX_BYTES);
  }

  /** Writes a message; false when it is too large or the ring is full (send it another way). */
  write(wire: Wire): boolean {
    const segs = typeof wire === 'string' ? undefined : wire.segs;
    // a word per segment and up to 7 bytes of padding before its bytes
    const overhead = segs ? 4 + 11 * segs.length : 0;
    // Placed by an upper bound of its size (no encoding pass just to measure), or else by its exact size.
    let size = frameBytesBound(wire) + overhead;
    let start = size <= this.maxMessageBytes ? this.reserve(size) : -1;
    if (start < 0) {
      size = frameBytes(wire) + overhead;
      if (size > this.maxMessageBytes) return false;
      start = this.reserve(size);
      if (start < 0) return false;
    }
    let len: number;
    if (segs) len = this.writeFrame(wire as Frame, start + 4, start + 4 + size);
    else len = this.data.write(wire as string, start + 4, size, 'utf8');
    this.view.setUint32(start, segs ? (SEGMENTED | len) >>> 0 : len, true);
    const need = 4 + ((len + 3) & ~3);
    let tail = start + need;
    if (tail === this.cap) tail = 0;
    Atomics.store(this.ctl, TAIL, tail);
    Atomics.add(this.ctl, USED, this.skipped + need);
    this.wake();
    return true;
  }

  /** Wrap padding of the last reservation. */
  private skipped = 0;

  /** Where a message of up to `size` bytes goes (after a wrap marker if the end is too near), or -1 when the ring has no room. */
  private reserve(size: number): number {
    const need = 4 + ((size + 3) & ~3);
    const tail = Atomics.load(this.ctl, TAIL);
    const toEnd = this.cap - tail;
    const skip = need > toEnd ? toEnd : 0;
    if (Atomics.load(this.ctl, USED) + skip + need > this.cap) return -1;
    this.skipped = skip;
    if (!skip) return tail;
    this.view.setUint32(tail, WRAP, true);
    return 0;
  }

  /**
   * [u32 text bytes][text] then per segment [u32 kind, padding, bytes][padding][bytes]; returns the
   * bytes written. Bytes are copied into and out of shared memory by V8 in words only where source and
   * target sit at the same offset modulo 8 (else byte by byte: 20–30 µs instead of 3–5 for 64 KiB), so a
   * byte array is placed at its own alignment, and the reader copies it out to a buffer aligned alike.
   */
  private writeFrame(frame: Frame, at: number, end: number): number {
    const from = at;
    const n = this.data.write(frame.text, at + 4, end - at - 4, 'utf8');
    this.view.setUint32(at, n, true);
    at += 4 + n;
    for (const seg of frame.segs!) {
      let kind: number;
      let bytes: number;
      let pad = 0;
      if (typeof seg === 'string') {
        bytes = this.data.write(seg, at + 4, end - at - 4, 'utf8');
        kind = bytes === seg.length ? SEG_ASCII : SEG_UTF8;
      } else {
        const b = segBytes(seg);
        pad = (b.byteOffset - (this.data.byteOffset + at + 4)) & 7;
        this.data.set(b, at + 4 + pad);
        bytes = b.byteLength;
        kind = seg instanceof TextBytes ? (seg.ascii ? SEG_ASCII : SEG_UTF8) : SEG_BYTES;
      }
      this.view.setUint32(at, ((kind << KIND_SHIFT) | (pad << PAD_SHIFT) | bytes) >>> 0, true);
      at += 4 + pad + bytes;
    }
    return at - from;
  }

  /** Wakes the reader without a message (e.g. a message went by port and a blocked reader must look). */
  wake(): void {
    Atomics.add(this.ctl, SEQ, 1);
    if (Atomics.load(this.ctl, WAITING) !== 0) Atomics.notify(this.ctl, SEQ);
  }

  /** The next message, or undefined when the ring is empty. */
  read(): Wire | undefined {
    if (Atomics.load(this.ctl, USED) === 0) return undefined;
    let head = Atomics.load(this.ctl, HEAD);
    if (this.view.getUint32(head, true) === WRAP) {
      Atomics.sub(this.ctl, USED, this.cap - head);
      head = 0;
    }
    const word = this.view.getUint32(head, true);
    const len = word & ~SEGMENTED;
    // Decoded before HEAD moves: the writer may reuse the bytes from then on.
    const msg = word & SEGMENTED ? this.readFrame(head + 4, head + 4 + len) : this.data.toString('utf8', head + 4, head + 4 + len);
    const need = 4 + ((len + 3) & ~3);
    head += need;
    if (head === this.cap) head = 0;
    Atomics.store(this.ctl, HEAD, head);
    Atomics.sub(this.ctl, USED, need);
    return msg;
  }

  /** A spare buffer for TextBytes, given back by a released one (one body's allocation saved per call). */
  private spare?: ArrayBuffer;

  /**
   * A copy of bytes in the ring, in a buffer at the same offset modulo 8 (a word-wise copy: see
   * writeFrame); `reuse` takes the spare buffer when it is large enough.
   */
  private copyOut(from: number, bytes: number, reuse = false): Uint8Array {
    const misalign = (this.data.byteOffset + from) & 7;
    let buf: ArrayBuffer;
    if (reuse && this.spare && this.spare.byteLength >= bytes + misalign) {
      buf = this.spare;
      this.spare = undefined;
    } else buf = new ArrayBuffer(bytes + misalign);
    const out = new Uint8Array(buf, misalign, bytes);
    out.set(this.data.subarray(from, from + bytes));
    return out;
  }

  private readonly recycle = (bytes: Uint8Array): void => {
    if (!this.spare || bytes.buffer.byteLength > this.spare.byteLength) this.spare = bytes.buffer as ArrayBuffer;
  };

  private readFrame(at: number, end: number): Frame {
    const n = this.view.getUint32(at, true);
    const text = this.data.toString('utf8', at + 4, at + 4 + n);
    const segs: Array<string | Uint8Array | TextBytes> = [];
    for (at += 4 + n; at < end; ) {
      const word = this.view.getUint32(at, true);
      const kind = word >>> KIND_SHIFT;
      const bytes = word & SEG_MAX_BYTES;
      const from = at + 4 + ((word >>> PAD_SHIFT) & 7);
      if (kind === SEG_BYTES) segs.push(this.copyOut(from, bytes));
      else if (this.textAsBytes) segs.push(new TextBytes(this.copyOut(from, bytes, true), kind === SEG_ASCII, this.recycle));
      else segs.push(this.data.toString(kind === SEG_ASCII ? 'latin1' : 'utf8', from, from + bytes));
      at = from + bytes;
    }
    return { text, segs };
  }

  seq(): number {
    return Atomics.load(this.ctl, SEQ);
  }

  /**
   * Resolves when SEQ moves past `seen` (undefined: it already has). `seen` must be read before
   * the reader last drained the ring: a write after that either changes SEQ before the wait is
   * armed (no wait) or sees WAITING set and notifies.
   */
  waitAsync(seen: number): Promise<unknown> | undefined {
    Atomics.add(this.ctl, WAITING, 1);
    // Atomics.waitAsync is in Node 20 (V8) but not in TypeScript's ES2023 lib.
    const r = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<unknown> } }).waitAsync(this.ctl, SEQ, seen);
    if (!r.async) {
      Atomics.sub(this.ctl, WAITING, 1);
      return undefined;
    }
    return r.value.then((v) => {
      Atomics.sub(this.ctl, WAITING, 1);
      return v;
    });
  }

  /** Blocks the thread until SEQ moves past `seen` or timeoutMs passes (worker side only). */
  waitSync(seen: number, timeoutMs: number): void {
    Atomics.add(this.ctl, WAITING, 1);
    Atomics.wait(this.ctl, SEQ, seen, timeoutMs);
    Atomics.sub(this.ctl, WAITING, 1);
  }
}
