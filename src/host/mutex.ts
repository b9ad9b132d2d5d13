// Per-key async mutex: lifecycle operations on one plugin run one at a time, in call order,
// while operations on different plugins run freely in parallel.

export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `fn` once every earlier operation on `key` has settled; queued in call order. */
  run<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const prev = this.tails.get(key);
    const result = prev ? prev.then(fn, fn) : Promise.resolve().then(fn);
    // The tail never rejects, so a failed operation does not poison the queue.
    const tail = result.then(noop, noop);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Whether an operation on `key` is running or queued. */
  isLocked(key: string): boolean {
    return this.tails.has(key);
  }
}

function noop(): void {}
