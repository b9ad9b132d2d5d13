// Where request log lines go by default: batched synchronous writes. pino's own destination
// (sonic-boom) costs 1-2 µs a line here: asynchronous writes go through libuv's thread pool,
// and its buffer is a string that is appended to and measured with Buffer.byteLength on every
// line, which flattens it again and again. A request line is ~200 bytes; a batch is a few dozen,
// encoded as it comes into one reused buffer (no array of lines to join, no copy per batch).

import { closeSync, openSync, writeSync } from 'node:fs';

/** A batch is written when it reaches this many characters… */
export const LOG_BATCH_CHARS = 16 * 1024;
/** …or this long after its first line (ms), and at exit. */
export const LOG_FLUSH_MS = 100;
/** How long a full non-blocking pipe (EAGAIN) is waited for before the batch is dropped (ms). */
const EAGAIN_WAIT_MS = 1_000;

const live = new Set<WeakRef<BatchedDestination>>();
let exitHooked = false;

function flushAllAtExit(): void {
  for (const ref of live) ref.deref()?.flush();
}

export class BatchedDestination {
  /** The batch, UTF-8; room for LOG_BATCH_CHARS and a long line after them. */
  private readonly buf = Buffer.allocUnsafe(LOG_BATCH_CHARS * 2);
  private used = 0;
  private lines = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private broken = false;
  /** Lines lost to write errors (a closed pipe, a full disk). */
  dropped = 0;
  private readonly flushLater = () => {
    this.timer = undefined;
    this.flush();
  };

  /** `dest`: a file descriptor (1 = stdout) or a file path (opened for appending). */
  constructor(dest: number | string = 1) {
    this.ownsFd = typeof dest === 'string';
    this.fd = typeof dest === 'string' ? openSync(dest, 'a') : dest;
    if (live.size >= 64) for (const ref of live) if (!ref.deref()) live.delete(ref);
    live.add(new WeakRef(this));
    if (!exitHooked) {
      exitHooked = true;
      process.on('exit', flushAllAtExit);
    }
  }

  write(line: string): boolean {
    if (this.broken) {
      this.dropped++;
      return true;
    }
    // A UTF-16 unit takes at most 3 bytes in UTF-8.
    if (line.length * 3 > this.buf.length - this.used) {
      this.flush();
      if (line.length * 3 > this.buf.length) {
        this.writeOut(Buffer.from(line), 1); // a line longer than a batch goes on its own
        return true;
      }
    }
    this.used += this.buf.write(line, this.used);
    this.lines++;
    if (this.used >= LOG_BATCH_CHARS) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(this.flushLater, LOG_FLUSH_MS);
      this.timer.unref();
    }
    return true;
  }

  /** Writes what is buffered now (pino's logger.flush() calls this). */
  flush(cb?: (err?: Error) => void): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    let err: Error | undefined;
    if (this.used > 0) {
      const data = this.buf.subarray(0, this.used);
      const lines = this.lines;
      this.used = 0;
      this.lines = 0;
      err = this.writeOut(data, lines);
    }
    cb?.(err);
  }

  /** Writes synchronously (the buffer is reused once this returns); counts what a failure drops. */
  private writeOut(data: Buffer, lines: number): Error | undefined {
    try {
      writeAll(this.fd, data);
      return undefined;
    } catch (e) {
      this.dropped += lines;
      // A reader that went away will not come back: stop writing (as pino does on EPIPE).
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') this.broken = true;
      return e as Error;
    }
  }

  /** Flushes and closes a file it opened. */
  end(): void {
    this.flush();
    this.broken = true;
    if (this.ownsFd) closeSync(this.fd);
  }
}

function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  let waited = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off, data.length - off);
    } catch (e) {
      // A non-blocking pipe that is full: wait for the reader a little, as sonic-boom does.
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || waited >= EAGAIN_WAIT_MS) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      waited += 10;
    }
  }
}
