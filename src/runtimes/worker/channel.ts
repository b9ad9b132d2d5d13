// A single-producer single-consumer ring of length-prefixed UTF-8 messages in a SharedArrayBuffer,
// with Atomics for wake-ups: the fast path between the main thread and a plugin worker.

const SEQ = 0; // bumped on every write; readers wait on it
const HEAD = 1; // read offset (only the reader writes it)
const TAIL = 2; // write offset (only the writer writes it)
const USED = 3; // bytes in use, including wrap padding
const WAITING = 4; // waits armed on SEQ (an async and a blocking one may overlap): writers skip Atomics.notify (a costly call) at 0
const HEADER_BYTES = 32;
const WRAP = 0xffffffff;


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

  constructor(sab: SharedArrayBuffer) {
    this.ctl = new Int32Array(sab, 0, 5);
    this.data = Buffer.from(sab, HEADER_BYTES);
    this.view = new DataView(sab, HEADER_BYTES);
    this.cap = this.data.length;
    this.maxMessageBytes = Math.floor(this.cap / 2) - 8;
  }

  /** Writes a message; false when it is too large or the ring is full (send it another way). */
  write(text: string): boolean {
    // A UTF-8 encoding is at most 3 bytes per UTF-16 unit: skip encoding what cannot fit.
    if (text.length > this.maxMessageBytes) return false;
    const len = Buffer.byteLength(text);
    if (len > this.maxMessageBytes) return false;
    const need = 4 + ((len + 3) & ~3);
    let tail = Atomics.load(this.ctl, TAIL);
    const used = Atomics.load(this.ctl, USED);
    const toEnd = this.cap - tail;
    const skip = need > toEnd ? toEnd : 0;
    if (used + skip + need > this.cap) return false;
    if (skip) {
      this.view.setUint32(tail, WRAP, true);
      tail = 0;
    }
    this.view.setUint32(tail, len, true);
    this.data.write(text, tail + 4, len, 'utf8');
    tail += need;
    if (tail === this.cap) tail = 0;
    Atomics.store(this.ctl, TAIL, tail);
    Atomics.add(this.ctl, USED, skip + need);
    this.wake();
    return true;
  }

  /** Wakes the reader without a message (e.g. a message went by port and a blocked reader must look). */
  wake(): void {
    Atomics.add(this.ctl, SEQ, 1);
    if (Atomics.load(this.ctl, WAITING) !== 0) Atomics.notify(this.ctl, SEQ);
  }

  /** The next message, or undefined when the ring is empty. */
  read(): string | undefined {
    if (Atomics.load(this.ctl, USED) === 0) return undefined;
    let head = Atomics.load(this.ctl, HEAD);
    if (this.view.getUint32(head, true) === WRAP) {
      Atomics.sub(this.ctl, USED, this.cap - head);
      head = 0;
    }
    const len = this.view.getUint32(head, true);
    // Decoded before HEAD moves: the writer may reuse the bytes from then on.
    const text = this.data.toString('utf8', head + 4, head + 4 + len);
    const need = 4 + ((len + 3) & ~3);
    head += need;
    if (head === this.cap) head = 0;
    Atomics.store(this.ctl, HEAD, head);
    Atomics.sub(this.ctl, USED, need);
    return text;
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

export interface PumpOptions {
  /**
   * After the ring runs dry, look again once per event-loop turn for up to this many µs before
   * sleeping on Atomics.waitAsync (0: sleep at once). A message that lands in that window is read
   * without the two wake-ups a sleeping reader costs (the writer's futex wake, then the reader's
   * event-loop wake-up): about 30 µs of a round trip, measured on a 2-vCPU VM. Looking once per turn, not
   * in a busy loop, leaves the thread's own I/O and timers running meanwhile.
   */
  pollUs: number;
  /**
   * Within each event-loop turn of the poll, keep looking for up to this many µs before yielding
   * (fewer turns, fewer allocations, so fewer GC pauses). It delays the thread's own I/O by as
   * much: for plugin threads, not for the gateway's main thread. Default 0.
   */
  sliceUs?: number;
}

/** The least a poll window shrinks to, µs: enough to catch a quick answer and grow back. */
const MIN_POLL_US = 10;

/**
 * Reads a ring on its thread and calls `onMessage` for every message as it arrives, until
 * `stopped()`: one async loop that polls for a while after the last message (an adaptive window of
 * up to `opts.pollUs`), then sleeps until a write wakes it, or until `kick()` says a message is now
 * expected (the main thread kicks when it sends a call, so that the answer is polled for too).
 */
export class RingPump {
  private kicked: (() => void) | undefined;
  /**
   * The current poll window, µs, between MIN_POLL_US and pollUs: halved after a poll that found
   * nothing, doubled after one that did, and widened to twice the wait when a sleep was ended by a
   * message that came within half of pollUs. Polling pays only while the peer answers within the
   * window; when it does not (sparse traffic, or both threads sharing one CPU, where each one's
   * polling keeps the other off it) the window shrinks towards plain sleeping.
   */
  private windowUs: number;

  constructor(
    private readonly ring: Ring,
    private readonly onMessage: (text: string) => void,
    private readonly stopped: () => boolean,
    private readonly opts: PumpOptions = { pollUs: 0 },
  ) {
    this.windowUs = opts.pollUs;
  }

  /** The poll window now, µs (for tests and metrics). */
  get pollWindowUs(): number {
    return this.windowUs;
  }

  /** Runs the loop; resolves when `stopped()`. */
  async run(): Promise<void> {
    const { ring, opts } = this;
    while (!this.stopped()) {
      const seen = ring.seq();
      for (let m = ring.read(); m !== undefined; m = ring.read()) this.onMessage(m);
      if (this.stopped()) return;
      if (opts.pollUs > 0 && (await this.polled(seen))) continue;
      // SEQ is still `seen` when polling gave up; a write since then makes the wait return at once.
      const woken = ring.waitAsync(seen);
      if (!woken) continue;
      if (opts.pollUs === 0) {
        await woken;
        continue;
      }
      const slept = performance.now();
      const byMessage = await Promise.race([woken.then(() => true), new Promise<boolean>((resolve) => (this.kicked = () => resolve(false)))]);
      this.kicked = undefined;
      if (byMessage) {
        // Had the window been long enough for this message, polling would have saved the wake-up: widen it.
        const gapUs = this.windowUs + (performance.now() - slept) * 1000;
        if (gapUs <= opts.pollUs / 2) this.windowUs = Math.max(this.windowUs, 2 * gapUs);
      }
    }
  }

  /** A message is now expected: a sleeping loop starts polling (its armed wait stays, harmlessly). */
  kick(): void {
    this.kicked?.();
  }

  /** Whether SEQ moved past `seen` within the poll window (looking once per event-loop turn, or for sliceUs per turn). */
  private polled(seen: number): Promise<boolean> {
    const { ring, opts } = this;
    const until = performance.now() + this.windowUs / 1000;
    const slice = (opts.sliceUs ?? 0) / 1000;
    return new Promise((resolve) => {
      const look = (): void => {
        if (slice > 0) {
          // performance.now() allocates in Node 20 (process.hrtime's array): look at the clock every 256 loads only.
          const end = Math.min(until, performance.now() + slice);
          for (let i = 1; ring.seq() === seen; i++) if ((i & 255) === 0 && performance.now() >= end) break;
        }
        if (ring.seq() !== seen || this.stopped()) {
          this.windowUs = Math.min(opts.pollUs, this.windowUs * 2);
          resolve(true);
        } else if (performance.now() >= until) {
          this.windowUs = Math.max(Math.min(MIN_POLL_US, opts.pollUs), this.windowUs / 2);
          resolve(false);
        } else setImmediate(look);
      };
      setImmediate(look);
    });
  }
}

// JSON with Uint8Array support: byte arrays travel as base64 under a tagged key.
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

/** Whether `value` holds a byte array within its first `budget` nodes (true when unsure). */
function mayHoldBytes(value: unknown, budget: { n: number }): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (ArrayBuffer.isView(value)) return true;
  if (--budget.n < 0) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (typeof v === 'object' && mayHoldBytes(v, budget)) return true;
    return false;
  }
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    if (typeof v === 'object' && mayHoldBytes(v, budget)) return true;
  }
  return false;
}

export function encodeMessage(value: unknown): string {
  // A replacer takes JSON.stringify off its fast path: use it only when bytes may be inside.
  return mayHoldBytes(value, { n: 256 }) ? JSON.stringify(value, replacer) : JSON.stringify(value);
}

export function decodeMessage<T = unknown>(text: string): T {
  return (text.includes(U8) ? JSON.parse(text, reviver) : JSON.parse(text)) as T;
}
