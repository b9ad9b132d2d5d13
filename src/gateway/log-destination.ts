// Where request log lines go by default: batched synchronous writes. pino's own destination
// (sonic-boom) costs 1-2 µs a line here: asynchronous writes go through libuv's thread pool,
// and its buffer is a string that is appended to and measured with Buffer.byteLength on every
// line, which flattens it again and again. A request line is ~200 bytes; a batch is a few dozen,
// appended to one string (V8 links the parts; nothing is copied per line) that is encoded once,
// when it is written: ~45 ns a line, against ~150 for encoding each line into a buffer as it comes.

import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';

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
  private batch = '';
  private lines = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly fd: number;
  private readonly ownsFd: boolean;
  /** A pipe or socket may take part of a write; a file or a terminal takes all of it. */
  private readonly partialWrites: boolean;
  private broken = false;
  /**
   * A reader that kept the pipe full for EAGAIN_WAIT_MS: later batches that meet a full pipe are
   * dropped at once instead of stalling every request for another wait, until a write goes through.
   */
  private stalled = false;
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
    try {
      const st = fstatSync(this.fd);
      this.partialWrites = !(st.isFile() || st.isCharacterDevice());
    } catch {
      this.partialWrites = true;
    }
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
    this.batch += line;
    this.lines++;
    if (this.batch.length >= LOG_BATCH_CHARS) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(this.flushLater, LOG_FLUSH_MS);
      this.timer.unref();
    }
    return true;
  }

  /** Writes what is batched now (pino's logger.flush() calls this). */
  flush(cb?: (err?: Error) => void): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    let err: Error | undefined;
    if (this.lines > 0) {
      const data = this.batch;
      const lines = this.lines;
      this.batch = '';
      this.lines = 0;
      try {
        writeAll(this.fd, data, this.partialWrites, this.stalled ? 0 : EAGAIN_WAIT_MS);
        this.stalled = false;
      } catch (e) {
        err = e as Error;
        this.dropped += lines;
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') this.stalled = true;
        // A reader that went away will not come back: stop writing (as pino does on EPIPE).
        if ((e as NodeJS.ErrnoException).code === 'EPIPE') this.broken = true;
      }
    }
    cb?.(err);
  }

  /** Flushes and closes a file it opened. */
  end(): void {
    this.flush();
    this.broken = true;
    if (this.ownsFd) closeSync(this.fd);
  }
}

/**
 * Writes all of `text` (UTF-8), waiting up to `waitMs` on a full non-blocking pipe. Only where a write
 * can be partial (`partial`) is the written count compared with the byte length (a scan of the batch).
 */
function writeAll(fd: number, text: string, partial: boolean, waitMs: number): void {
  let data: Buffer | undefined;
  let off = 0;
  let waited = 0;
  for (;;) {
    try {
      if (!data) {
        // The common case: one write of the whole string, encoded by Node on the way.
        const n = writeSync(fd, text);
        if (!partial || n === Buffer.byteLength(text)) return;
        data = Buffer.from(text); // a partial write: go on by bytes
        off = n;
      } else {
        off += writeSync(fd, data, off, data.length - off);
      }
      if (off >= data.length) return;
    } catch (e) {
      // A non-blocking pipe that is full: wait for the reader a little, as sonic-boom does.
      // Part of the batch is out: its rest gets the full wait, so as not to leave half a line.
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || waited >= (data ? EAGAIN_WAIT_MS : waitMs)) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      waited += 10;
    }
  }
}
