// How a message crosses between the main thread and a plugin thread: JSON text for its shape, with
// long strings and byte arrays lifted out as raw segments beside it. A 64 KiB request body as a JSON
// string cost ~57 µs to escape-scan in JSON.stringify plus ~16 µs to unescape in JSON.parse; as a
// segment it is one UTF-8 write into the ring and one decode out of it (~3 + ~4 µs).

/** A message as JSON text; `segs` holds what `{"__plw_seg": i}` placeholders in it stand for. */
export interface Frame {
  text: string;
  segs?: Array<string | Uint8Array | TextBytes>;
}

/** A message as the ring and the ports carry it: plain JSON text, or a Frame with segments. */
export type Wire = string | Frame;

/**
 * A long string from the ring kept as its UTF-8 bytes, for a thread that hands it on as bytes (a
 * wasm thread writes a request body into the module's input without decoding it). Anywhere else it
 * reads as the string: String(x), JSON.stringify, template literals.
 */
export class TextBytes {
  private text?: string;
  private released = false;
  constructor(
    private data: Uint8Array,
    /** Every byte < 0x80 (one byte per UTF-16 unit). */
    readonly ascii: boolean,
    /** Takes the bytes' buffer back for reuse once the holder is done with them (release). */
    private readonly recycle?: (bytes: Uint8Array) => void,
  ) {}

  get bytes(): Uint8Array {
    if (this.released) throw new Error('TextBytes used after release()');
    return this.data;
  }

  toString(): string {
    this.text ??= Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).toString(this.ascii ? 'latin1' : 'utf8');
    return this.text;
  }

  toJSON(): string {
    return this.toString();
  }

  /**
   * The holder is done with the bytes (they were copied where they go): their buffer may be reused
   * for a later message, which saves allocating one per request body. Reading them afterwards throws;
   * the string stays readable if it was read before.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.recycle?.(this.data);
    this.data = new Uint8Array(0);
  }
}

/** Strings at least this long travel as segments (below it, JSON's own escaping is cheaper than the detour). */
export const SEG_MIN_CHARS = 2048;
const SEG = '__plw_seg';

/**
 * Whether `value` holds a byte array, or a string of at least `minChars`, within its first
 * `budget.n` nodes (true when unsure).
 */
function holdsRaw(value: unknown, minChars: number, budget: { n: number }): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (ArrayBuffer.isView(value)) return true;
  if (--budget.n < 0) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (typeof v === 'object' ? holdsRaw(v, minChars, budget) : typeof v === 'string' && v.length >= minChars) return true;
    return false;
  }
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    if (typeof v === 'object' ? holdsRaw(v, minChars, budget) : typeof v === 'string' && v.length >= minChars) return true;
  }
  return false;
}

/** Whether `s` has no lone surrogate (String.prototype.isWellFormed: Node 20, not yet in TypeScript's ES2023 lib). */
export const isWellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

/** A message for the ring or a port: plain JSON unless a byte array or a long string is inside. */
export function encodeFrame(value: unknown): Wire {
  // A replacer takes JSON.stringify off its fast path: only for messages that need it.
  if (!holdsRaw(value, SEG_MIN_CHARS, { n: 256 })) return JSON.stringify(value);
  const segs: Array<string | Uint8Array | TextBytes> = [];
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    // `this[key]` is the value before toJSON (a Buffer's toJSON would make it an array of numbers).
    const raw = this[key];
    // A lone surrogate has no UTF-8 form: such a string stays in the JSON (as \ud800), as it always did.
    if (raw instanceof Uint8Array || raw instanceof TextBytes || (typeof raw === 'string' && raw.length >= SEG_MIN_CHARS && isWellFormed(raw))) {
      segs.push(raw);
      return { [SEG]: segs.length - 1 };
    }
    return v;
  });
  return segs.length ? { text, segs } : text;
}

export function decodeFrame<T = unknown>(wire: Wire): T {
  if (typeof wire === 'string') return JSON.parse(wire) as T;
  // Placeholders are put back by a walk of the parsed value: a JSON.parse reviver cost ~4 µs more per message.
  return withSegments(JSON.parse(wire.text), wire.segs ?? []) as T;
}

/** `value` with each `{"__plw_seg": i}` in it replaced by segs[i] (in place). */
function withSegments(value: unknown, segs: ReadonlyArray<string | Uint8Array | TextBytes>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = withSegments(value[i], segs);
    return value;
  }
  const o = value as Record<string, unknown>;
  const i = o[SEG];
  if (typeof i === 'number' && i >= 0 && i < segs.length) return segs[i];
  for (const k in o) o[k] = withSegments(o[k], segs);
  return value;
}

/** `value` with every TextBytes in it decoded to its string (in place). */
export function textStrings<T>(value: T): T {
  if (value instanceof TextBytes) return value.toString() as T;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const o = value as Record<string, unknown>;
  for (const k in o) o[k] = textStrings(o[k]);
  return value;
}

/** The bytes of a byte segment or of a string kept as UTF-8. */
export const segBytes = (s: Uint8Array | TextBytes): Uint8Array => (s instanceof TextBytes ? s.bytes : s);

/** Bytes a frame takes on the wire, at most (UTF-8 is at most 3 bytes per UTF-16 unit). */
export function frameBytesBound(wire: Wire): number {
  if (typeof wire === 'string') return wire.length * 3;
  let n = wire.text.length * 3;
  for (const s of wire.segs ?? []) n += typeof s === 'string' ? s.length * 3 : segBytes(s).byteLength;
  return n;
}

/** Bytes a frame takes on the wire, exactly. */
export function frameBytes(wire: Wire): number {
  if (typeof wire === 'string') return Buffer.byteLength(wire);
  let n = Buffer.byteLength(wire.text);
  for (const s of wire.segs ?? []) n += typeof s === 'string' ? Buffer.byteLength(s) : segBytes(s).byteLength;
  return n;
}

// JSON text with byte arrays as tagged base64: the process runtime's wire lines (one document per line).
const U8 = '__plw_u8';

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Uint8Array) return { [U8]: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as Record<string, unknown>)[U8] === 'string') {
    return new Uint8Array(Buffer.from((value as Record<string, string>)[U8]!, 'base64'));
  }
  return value;
}

export function encodeMessage(value: unknown): string {
  // A replacer takes JSON.stringify off its fast path: use it only when bytes may be inside.
  return holdsRaw(value, Infinity, { n: 256 }) ? JSON.stringify(value, replacer) : JSON.stringify(value);
}

export function decodeMessage<T = unknown>(text: string): T {
  return (text.includes(U8) ? JSON.parse(text, reviver) : JSON.parse(text)) as T;
}
