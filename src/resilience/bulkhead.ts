// Max concurrent calls per plugin, with a bounded FIFO queue and a rejection that says how full it is.
// Our own rather than cockatiel's: its execute() wraps every call in two promises of its own, and the
// gateway's call step needs a slot taken and given back around a plugin's raw answer (a value or
// the runtime's own promise), which cockatiel's API cannot express. It is a counter and a queue.

import type { BulkheadSettings } from '../host/config-types.js';

export class BulkheadRejectedError extends Error {
  constructor(
    readonly executionSlots: number,
    readonly queueSlots: number,
  ) {
    super('Bulkhead capacity exceeded');
    this.name = 'BulkheadRejectedError';
  }
}

export class Bulkhead {
  private readonly max: number;
  private readonly maxQueue: number;
  private inFlight = 0;
  /** Callers waiting for a slot, oldest first; each is handed the slot it waited for. */
  private readonly waiting: Array<() => void> = [];
  rejected = 0;

  constructor(readonly settings: BulkheadSettings) {
    this.max = Math.max(1, settings.maxConcurrent);
    this.maxQueue = Math.max(0, settings.queue);
  }

  /** Calls in flight right now. */
  get active(): number {
    return this.inFlight;
  }

  /** Callers queued for a slot right now. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Takes a slot if one is free (give it back with release()). */
  tryAcquire(): boolean {
    if (this.inFlight >= this.max) return false;
    this.inFlight++;
    return true;
  }

  /**
   * A slot now (true), or a promise of one when every slot is taken and the queue has room;
   * throws BulkheadRejectedError when the queue is full too. The slot is the caller's to release().
   */
  acquire(): true | Promise<void> {
    if (this.inFlight < this.max) {
      this.inFlight++;
      return true;
    }
    if (this.waiting.length >= this.maxQueue) {
      this.rejected++;
      throw new BulkheadRejectedError(0, 0);
    }
    // The slot passes straight from the releasing call to the waiter (inFlight stays as it is).
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Gives a slot back: to the oldest waiter if there is one. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else if (this.inFlight > 0) this.inFlight--;
  }

  /** Runs fn in a slot: a synchronous answer or throw gives it back at once, a promise when it settles. */
  run<T>(fn: () => T | Promise<T>): T | Promise<T> {
    let slot: true | Promise<void>;
    try {
      slot = this.acquire();
    } catch (err) {
      return Promise.reject(err);
    }
    if (slot !== true) return slot.then(() => this.hold(fn));
    return this.hold(fn);
  }

  /** Same as run() with a promise always. */
  execute<T>(fn: () => Promise<T>): Promise<T> {
    return Promise.resolve(this.run(fn));
  }

  private hold<T>(fn: () => T | Promise<T>): T | Promise<T> {
    let r: T | Promise<T>;
    try {
      r = fn();
    } catch (err) {
      this.release();
      throw err;
    }
    if (!(r instanceof Promise)) {
      this.release();
      return r;
    }
    return r.then(
      (v) => {
        this.release();
        return v;
      },
      (err: unknown) => {
        this.release();
        throw err;
      },
    );
  }
}
